/**
 * A URL as a message or log may show it: its origin alone. Webhook and alert URLs often carry their
 * secret in the path (Slack's, Discord's, Zapier's), in the query string or as user:password; none
 * of that is shown.
 */
export function shownUrl(url: URL): string {
  return `${url.origin}${url.pathname === '/' || url.pathname === '' ? '' : '/…'}`;
}
