/**
 * The session cookie's name, in a module without Next.js imports: server.ts (socket.io auth)
 * and proxy.ts can use it without loading next/headers, whose request-scope storage must not
 * be initialised before Next sets up AsyncLocalStorage.
 */
export const SESSION_COOKIE = 'pulse_session';
