import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { adminContractModule } from '../admin-contract.js';

/** The console's files: plain HTML, CSS and ES modules, served as they are (no build step). */
export const ADMIN_DIR = fileURLToPath(new URL('../../admin/', import.meta.url));

/**
 * Only our own files may run or style the page: no inline script or style, no third-party origin,
 * no framing (clickjacking a "reject" button), API calls to this origin only. The CSV export is a
 * download of a blob: URL, a navigation that CSP does not govern, so no `blob:` source is needed.
 */
export const ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): void {
  reply.header('content-security-policy', ADMIN_CSP);
  reply.header('x-content-type-options', 'nosniff');
  reply.header('referrer-policy', 'no-referrer');
  reply.header('x-frame-options', 'DENY');
  reply.header('cross-origin-opener-policy', 'same-origin');
}

/**
 * The district admin console at /admin/. The files hold no data and no secrets (everything comes
 * from the API with the admin's token), so they are public; their routes are under /admin, which
 * the auth plugin's role check skips. Caching: the file names carry no content hash, so browsers
 * keep the files but revalidate every time (`no-cache` + ETag → a 304 of a few hundred bytes),
 * and a deployment never leaves an old app.js next to a new index.html.
 */
export async function adminConsoleRoutes(app: FastifyInstance): Promise<void> {
  // Every answer under /admin (files, 304s, the redirect, 404s) carries the headers.
  app.addHook('onSend', async (_req, reply, payload) => {
    securityHeaders(reply);
    return payload;
  });
  await app.register(fastifyStatic, {
    root: ADMIN_DIR,
    prefix: '/admin/',
    index: ['index.html'],
    dotfiles: 'ignore',
    list: false,
    cacheControl: false,
    etag: true,
    lastModified: true,
    setHeaders: (reply) => {
      reply.header('cache-control', 'no-cache');
    },
  });
  // The contract's enumerations and the user-admin policy as an ES module the console imports
  // (admin-contract.ts): made once here, at start; same caching as the files (no-cache + ETag).
  const contractJs = adminContractModule();
  const contractTag = `"${createHash('sha256').update(contractJs).digest('base64url').slice(0, 27)}"`;
  app.get('/admin/contract.js', { schema: { hide: true } }, (req, reply) => {
    reply.header('cache-control', 'no-cache').header('etag', contractTag);
    if (req.headers['if-none-match'] === contractTag) return reply.code(304).send();
    return reply.type('text/javascript; charset=utf-8').send(contractJs);
  });
  // The app ignores trailing slashes, so this one route answers /admin and /admin/. Relative URLs
  // in index.html (./app.js) need the slash: /admin is redirected, /admin/ is the page.
  app.get('/admin', { schema: { hide: true } }, (req, reply) => {
    const url = req.raw.url ?? '/admin';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.endsWith('/')) return reply.sendFile('index.html');
    return reply.redirect(`/admin/${q === -1 ? '' : url.slice(q)}`, 301);
  });
}
