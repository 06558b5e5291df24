/**
 * OpenSSH public keys as the ssh_keys endpoints take them: checked for
 * shape, and fingerprinted the way Hetzner shows them (MD5 of the key blob,
 * colon-separated hex), which is also what makes two keys "the same".
 */
import { createHash } from 'node:crypto';

const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) ([A-Za-z0-9+/]+={0,2})(?: .*)?$/;

export function isPublicKey(text: string): boolean {
  const match = PUBLIC_KEY.exec(text.trim());
  // The blob starts with the key type again: a random base64 string is not a key.
  return match !== null && Buffer.from(match[2]!, 'base64').subarray(4, 4 + match[1]!.length).toString() === match[1];
}

export function fingerprint(text: string): string {
  const blob = Buffer.from(text.trim().split(/\s+/)[1] ?? '', 'base64');
  return createHash('md5').update(blob).digest('hex').replace(/(..)(?!$)/g, '$1:');
}
