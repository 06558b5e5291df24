// Files under templates/ are bundled as strings (prov build loads them as text).
declare module '*.env' {
  const text: string;
  export default text;
}
declare module '*.py' {
  const text: string;
  export default text;
}
declare module '*.service' {
  const text: string;
  export default text;
}
