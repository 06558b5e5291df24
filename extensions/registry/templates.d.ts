// Files under templates/ are bundled as strings.
declare module '*.mustache' {
  const text: string;
  export default text;
}
