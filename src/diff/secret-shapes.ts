/**
 * Values that look like credentials, wherever they appear outside a Secret: a ConfigMap holding an objstore config
 * with `secret_key: ...`, an env value holding a token, a URL with a password. Reports show ConfigMaps in clear, so
 * these parts are masked with the same fingerprint as Secret data (a changed credential still shows as a change).
 */

/** Key names whose value is a credential (`secret_key: x`, `"password": "x"`, `--token=x`). */
const CREDENTIAL_KEY =
  /(?<key>[A-Za-z0-9_.-]*(?:password|passwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credentials?)[A-Za-z0-9_.-]*)(?<sep>["']?[ \t]*[:=][ \t]*["']?)(?<value>[^\s"',}\]]+)/gi;
/** A key naming where a credential is, not the credential itself (`token_file: /var/run/...`, `secretName: x`). */
const REFERENCE_KEY = /(?:file|path|dir|ref|name|names|_id|id)$/i;
/** `$(VAR)`, `${VAR}`, `$VAR`: the value is filled in elsewhere. */
const REFERENCE_VALUE = /^\$[({]?[A-Za-z_][A-Za-z0-9_]*[)}]?$/;

const SHAPES: RegExp[] = [
  // PEM private keys (RSA, EC, OPENSSH, ENCRYPTED, PKCS#8), also cut off before their END line.
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
  // JSON Web Tokens: base64url header, payload and signature.
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g,
  // GitHub tokens (classic and fine-grained).
  /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g,
  // AWS access key ids.
  /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g,
  // AWS secret access keys: 40 base64 characters with upper case, lower case and digits (a git sha has no upper case).
  /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
];

/** `Authorization: Bearer x`, `Basic x`: the scheme stays, the credential is masked. */
const AUTH_SCHEME = /\b(?<scheme>Bearer|Basic)(?<space>\s+)(?<value>[A-Za-z0-9._~+/=-]{8,})/gi;
/** `scheme://user:password@host`: the password is masked. */
const URL_PASSWORD = /(?<prefix>\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]*:)(?<value>[^\s/@]+)(?=@)/gi;

/** `text` with every credential-shaped part replaced by `mask(part)`. */
export function maskSecretShapes(text: string, mask: (secret: string) => string): string {
  let out = text;
  for (const shape of SHAPES) out = out.replace(shape, (match) => mask(match));
  // A credential has a digit or base64 padding; "Basic configuration" in a comment is prose.
  out = out.replace(AUTH_SCHEME, (match, scheme: string, space: string, value: string) =>
    /[0-9=]/.test(value) ? `${scheme}${space}${mask(value)}` : match,
  );
  out = out.replace(URL_PASSWORD, (_match, prefix: string, value: string) => `${prefix}${mask(value)}`);
  out = out.replace(CREDENTIAL_KEY, (match, key: string, separator: string, value: string) => {
    if (REFERENCE_KEY.test(key) || REFERENCE_VALUE.test(value) || value.startsWith('hmac-sha256:')) return match;
    return `${key}${separator}${mask(value)}`;
  });
  return out;
}
