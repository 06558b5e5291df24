/**
 * The part of cloud-init a server's first boot needs for SSH to work as on
 * a real cloud image: the hostname (the server's name unless the
 * cloud-config says), `users` (name, groups, shell, sudo,
 * ssh_authorized_keys) and `write_files` (path, content, permissions). The
 * target root has no cloud-init, so the emulator applies these itself,
 * through the machine's exec; everything else in the cloud-config
 * (packages, runcmd, …) is ignored: the machines have no route out anyway.
 *
 * The YAML read here is the block subset cloud-configs are written in:
 * mappings, sequences, plain and quoted scalars, `[a, b]` flow lists and
 * `|` literal blocks.
 */

export interface CloudUser {
  name: string;
  groups: string[];
  shell?: string;
  sudo?: string;
  sshAuthorizedKeys: string[];
}

export interface CloudConfig {
  hostname?: string;
  users: CloudUser[];
  writeFiles: { path: string; content: string; permissions?: string }[];
}

type Yaml = string | boolean | null | Yaml[] | { [key: string]: Yaml };

interface Line {
  indent: number;
  text: string;
}

export function parseCloudConfig(userData: string | null): CloudConfig {
  const config: CloudConfig = { users: [], writeFiles: [] };
  if (userData === null || !userData.startsWith('#cloud-config')) return config;
  const lines = userData.split('\n').map((raw) => ({ indent: raw.length - raw.trimStart().length, text: raw.trimEnd().trimStart() }));
  const root = parseBlock(lines, { at: 0 }, 0);
  if (root === null || typeof root !== 'object' || Array.isArray(root)) return config;
  if (typeof root['hostname'] === 'string') config.hostname = root['hostname'];
  for (const user of asList(root['users'])) {
    if (typeof user !== 'object' || user === null || Array.isArray(user) || typeof user['name'] !== 'string') continue;
    const groups = user['groups'];
    config.users.push({
      name: user['name'],
      groups: Array.isArray(groups) ? groups.map(String) : typeof groups === 'string' ? groups.split(',').map((group) => group.trim()).filter(Boolean) : [],
      ...(typeof user['shell'] === 'string' ? { shell: user['shell'] } : {}),
      ...(typeof user['sudo'] === 'string' ? { sudo: user['sudo'] } : {}),
      sshAuthorizedKeys: asList(user['ssh_authorized_keys']).filter((key): key is string => typeof key === 'string'),
    });
  }
  for (const file of asList(root['write_files'])) {
    if (typeof file !== 'object' || file === null || Array.isArray(file) || typeof file['path'] !== 'string') continue;
    config.writeFiles.push({
      path: file['path'],
      content: typeof file['content'] === 'string' ? file['content'] : '',
      ...(typeof file['permissions'] === 'string' ? { permissions: file['permissions'] } : {}),
    });
  }
  return config;
}

function asList(value: Yaml | undefined): Yaml[] {
  return Array.isArray(value) ? value : [];
}

function skipBlank(lines: Line[], cursor: { at: number }): Line | undefined {
  while (cursor.at < lines.length && (lines[cursor.at]!.text === '' || lines[cursor.at]!.text.startsWith('#'))) cursor.at++;
  return lines[cursor.at];
}

function parseBlock(lines: Line[], cursor: { at: number }, indent: number): Yaml {
  const first = skipBlank(lines, cursor);
  if (first === undefined || first.indent < indent) return null;
  return first.text.startsWith('- ') || first.text === '-' ? parseSequence(lines, cursor, first.indent) : parseMapping(lines, cursor, first.indent);
}

function parseSequence(lines: Line[], cursor: { at: number }, indent: number): Yaml[] {
  const items: Yaml[] = [];
  for (let line = skipBlank(lines, cursor); line !== undefined && line.indent === indent && line.text.startsWith('-'); line = skipBlank(lines, cursor)) {
    const rest = line.text.slice(1).trimStart();
    if (/^[A-Za-z_][\w-]*:( |$)/.test(rest)) {
      // "- key: value": a mapping that starts on the dash's line, indented past the dash.
      lines[cursor.at] = { indent: indent + (line.text.length - rest.length), text: rest };
      items.push(parseMapping(lines, cursor, lines[cursor.at]!.indent));
    } else {
      cursor.at++;
      items.push(rest === '' ? parseBlock(lines, cursor, indent + 1) : scalar(rest));
    }
  }
  return items;
}

function parseMapping(lines: Line[], cursor: { at: number }, indent: number): { [key: string]: Yaml } {
  const map: { [key: string]: Yaml } = Object.create(null);
  for (let line = skipBlank(lines, cursor); line !== undefined && line.indent === indent; line = skipBlank(lines, cursor)) {
    const match = /^([^:]+):(?: (.*))?$/.exec(line.text);
    if (match === null) break;
    const key = match[1]!.trim();
    const rest = (match[2] ?? '').trim();
    cursor.at++;
    if (rest === '|' || rest === '|-') map[key] = literalBlock(lines, cursor, indent, rest === '|-');
    else if (rest === '') {
      const next = skipBlank(lines, cursor);
      // A sequence may sit at the key's own indentation ("key:\n- a").
      map[key] = next !== undefined && (next.indent > indent || (next.indent === indent && next.text.startsWith('- '))) ? parseBlock(lines, cursor, next.indent) : null;
    } else map[key] = scalar(rest);
  }
  return map;
}

function literalBlock(lines: Line[], cursor: { at: number }, indent: number, strip: boolean): string {
  const body: Line[] = [];
  while (cursor.at < lines.length && (lines[cursor.at]!.text === '' || lines[cursor.at]!.indent > indent)) body.push(lines[cursor.at++]!);
  while (body.length > 0 && body.at(-1)!.text === '') body.pop();
  const margin = Math.min(...body.filter((line) => line.text !== '').map((line) => line.indent));
  const text = body.map((line) => (line.text === '' ? '' : `${' '.repeat(line.indent - margin)}${line.text}`)).join('\n');
  return strip ? text : `${text}\n`;
}

function scalar(text: string): Yaml {
  if (text.startsWith('"') && text.endsWith('"') && text.length >= 2) return JSON.parse(text) as string;
  if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) return text.slice(1, -1).replaceAll("''", "'");
  if (text.startsWith('[') && text.endsWith(']')) return text.slice(1, -1).split(',').map((item) => item.trim()).filter(Boolean).map(scalar);
  if (text === 'true' || text === 'false') return text === 'true';
  if (text === 'null' || text === '~') return null;
  return text;
}

/** A shell script that applies the config as root (run once, at the first boot). */
export function cloudConfigScript(config: CloudConfig, serverName: string): string {
  const q = (value: string) => `'${value.replaceAll("'", "'\\''")}'`;
  const hostname = config.hostname ?? serverName;
  const lines = ['set -e', `printf '%s\\n' ${q(hostname)} > /etc/hostname`, `hostname ${q(hostname)}`, `printf '127.0.1.1 %s\\n' ${q(hostname)} >> /etc/hosts`];
  for (const user of config.users) {
    const home = user.name === 'root' ? '/root' : `/home/${user.name}`;
    const groups = user.groups.length > 0 ? ` -G ${q(user.groups.join(','))}` : '';
    lines.push(`id -u ${q(user.name)} >/dev/null 2>&1 || useradd -m -s ${q(user.shell ?? '/bin/sh')}${groups} ${q(user.name)}`);
    if (user.sshAuthorizedKeys.length > 0) {
      lines.push(
        `install -d -m 700 -o ${q(user.name)} -g ${q(user.name)} ${q(`${home}/.ssh`)}`,
        `printf '%s\\n' ${user.sshAuthorizedKeys.map(q).join(' ')} >> ${q(`${home}/.ssh/authorized_keys`)}`,
        `chown ${q(user.name)}: ${q(`${home}/.ssh/authorized_keys`)}`,
        `chmod 600 ${q(`${home}/.ssh/authorized_keys`)}`,
      );
    }
    if (user.sudo !== undefined) lines.push(`printf '%s\\n' ${q(`${user.name} ${user.sudo}`)} >> /etc/sudoers.d/90-cloud-init-users`, 'chmod 440 /etc/sudoers.d/90-cloud-init-users');
  }
  for (const file of config.writeFiles) {
    lines.push(`mkdir -p "$(dirname ${q(file.path)})"`, `printf '%s' ${q(file.content)} > ${q(file.path)}`);
    if (file.permissions !== undefined) lines.push(`chmod ${q(file.permissions.replace(/^0o/, '0'))} ${q(file.path)}`);
  }
  return `${lines.join('\n')}\n`;
}
