const MASK = '****';
/** The start of a URL of any scheme (postgresql://, mariadb://, ...): every engine's URLs are masked alike. */
const URL_START = /\b[a-z][a-z0-9+.-]*:\/\//gi;
/** Shorter secrets are masked only where they stand as a password; as bare substrings they would garble every line. */
const MIN_SUBSTRING_SECRET = 4;

interface UrlParts {
  scheme: string;
  user: string;
  /** As written (possibly percent-encoded); undefined when the URL has none. */
  password: string | undefined;
  /** Host, port, path and query: everything after the userinfo's `@`. */
  rest: string;
}

/**
 * Splits a URL (postgresql://, or any other scheme). The userinfo runs to the LAST `@` before the query
 * (`?`), so a password may hold unencoded `@`, `:`, `/` and `#` (a database name holding
 * `@` must be written `%40`); a `?` in a password must be percent-encoded.
 */
function splitUrl(url: string): UrlParts | null {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  if (!scheme) return null;
  const body = url.slice(scheme.length);
  const query = body.indexOf('?');
  const at = (query < 0 ? body : body.slice(0, query)).lastIndexOf('@');
  if (at < 0) return { scheme, user: '', password: undefined, rest: body };
  const userinfo = body.slice(0, at);
  const colon = userinfo.indexOf(':');
  return {
    scheme,
    user: colon < 0 ? userinfo : userinfo.slice(0, colon),
    password: colon < 0 ? undefined : userinfo.slice(colon + 1),
    rest: body.slice(at + 1),
  };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The values of every `password=` query parameter, as written. */
function queryPasswords(rest: string): string[] {
  const query = rest.indexOf('?');
  if (query < 0) return [];
  return rest
    .slice(query + 1)
    .split('&')
    .filter((pair) => /^password=/i.test(pair))
    .map((pair) => pair.slice('password='.length))
    .filter(Boolean);
}

/**
 * A postgresql:// URL in the form the pg driver parses the way `splitUrl` does: user and
 * password percent-encoded. The WHATWG parser pg uses ends the host at the first `/` or
 * `#`, so an unencoded one in a password would turn the rest of the password into the
 * host (and into a `getaddrinfo ENOTFOUND <fragment>` error).
 */
export function normalizePostgresUrl(url: string): string {
  const parts = splitUrl(url);
  if (!parts || (parts.password === undefined && !parts.user)) return url;
  const user = encodeURIComponent(decode(parts.user));
  const password = parts.password === undefined ? '' : `:${encodeURIComponent(decode(parts.password))}`;
  return `${parts.scheme}${user}${password}@${parts.rest}`;
}

/** A URL with its password (userinfo and `password=` parameters) replaced by ****. */
function maskUrl(url: string): string {
  const parts = splitUrl(url);
  if (!parts) return url;
  const userinfo = parts.password === undefined ? (parts.user ? `${parts.user}@` : '') : `${parts.user}:${MASK}@`;
  const rest = parts.rest.replace(/([?&]password=)[^&#\s]*/gi, `$1${MASK}`);
  return `${parts.scheme}${userinfo}${rest}`;
}

/** Every form in which `secret` may show up in text: as given, decoded and percent-encoded. */
export function secretForms(secret: string): string[] {
  return [...new Set([secret, decode(secret), encodeURIComponent(decode(secret)), encodeURI(decode(secret))])];
}

/**
 * The one masking function of the package: `text` with the password of every URL in
 * it, whatever its scheme (userinfo or `password=` parameter), and every occurrence of the
 * given secrets (as written, decoded or percent-encoded; at least 4 characters) replaced
 * by ****. Every location, error and line the package prints goes through it.
 */
export function maskSecrets(text: string, ...secrets: (string | undefined)[]): string {
  let masked = text.replace(/[?&]password=[^&#\s]*/gi, (match) => `${match.slice(0, match.indexOf('=') + 1)}${MASK}`);
  masked = replaceUrls(masked);
  const all = secrets
    .filter((s): s is string => typeof s === 'string' && s.length > 0)
    .flatMap(secretForms)
    .filter((s) => s.length >= MIN_SUBSTRING_SECRET)
    .sort((a, b) => b.length - a.length);
  for (const secret of all) masked = masked.split(secret).join(MASK);
  return masked;
}

/** Masks each URL in `text`; a URL ends at whitespace, a quote or the end. */
function replaceUrls(text: string): string {
  let out = '';
  let from = 0;
  for (const match of text.matchAll(URL_START)) {
    if (match.index < from) continue;
    const end = text.slice(match.index).search(/[\s'"`]|$/);
    out += text.slice(from, match.index) + maskUrl(text.slice(match.index, match.index + end));
    from = match.index + end;
  }
  return out + text.slice(from);
}

/** The secrets a URL carries (userinfo password, `password=` parameters), as written and decoded. */
export function urlSecrets(url: string): string[] {
  const parts = splitUrl(url);
  if (!parts) return [];
  return [...(parts.password ? [parts.password] : []), ...queryPasswords(parts.rest)].flatMap(secretForms);
}

/** The secrets of a config block that has a `password` and a `url` key: the password and the URL's, in every form. */
export function passwordAndUrlSecrets(block: { password?: string; url?: string }): string[] {
  return [...(block.password ? secretForms(block.password) : []), ...(block.url ? urlSecrets(block.url) : [])];
}
