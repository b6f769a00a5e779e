import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import ipaddr from 'ipaddr.js';
import { hostRejected, unauthorized, writesDisabled } from '../errors/api.ts';

/** Who may call a route: anyone, a token holder when reads need a token, or a token holder always. */
export type RouteAccess = 'public' | 'read' | 'write';

const ACTOR_HEADER = 'x-flowguard-actor';
const ACTOR_PATTERN = /^[\w.@:-]{1,64}$/;

/**
 * Checks bearer tokens. Both sides are hashed to SHA-256 first, so `timingSafeEqual` compares
 * equal-length digests and the time taken reveals neither the token nor its length.
 */
export class TokenAuth {
  readonly #digest: Buffer | undefined;
  readonly #readsNeedToken: boolean;

  constructor(token: string | undefined, readsNeedToken: boolean) {
    this.#digest = token === undefined ? undefined : sha256(token);
    this.#readsNeedToken = readsNeedToken;
  }

  get hasToken(): boolean {
    return this.#digest !== undefined;
  }

  /** Throws a 401 or 403 error when the request may not use a route of this access level. */
  check(request: FastifyRequest, access: RouteAccess): void {
    if (access === 'public' || (access === 'read' && !this.#readsNeedToken)) return;
    if (!this.#digest) {
      // Reads that need a token always have one: resolveApiOptions cannot set readsNeedToken without it.
      throw writesDisabled();
    }
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw unauthorized('missing');
    if (!timingSafeEqual(sha256(match[1]), this.#digest)) throw unauthorized('wrong');
  }
}

/**
 * Rejects requests whose Host header names something other than loopback when the server listens
 * on loopback. A web page the operator visits could otherwise rebind its own DNS name to 127.0.0.1
 * and read the open routes from the operator's browser.
 */
export function checkLoopbackHost(request: FastifyRequest): void {
  const header = request.headers.host ?? '';
  const hostname = header.startsWith('[') ? header.slice(1, header.indexOf(']')) : header.split(':')[0];
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return;
  if (ipaddr.isValid(hostname) && ipaddr.parse(hostname).range() === 'loopback') return;
  throw hostRejected(header);
}

/** True when `address` is a loopback address, so only local clients can connect. */
export function isLoopbackAddress(address: string): boolean {
  return ipaddr.isValid(address) && ipaddr.parse(address).range() === 'loopback';
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/**
 * The audit name of a caller: the `X-Flowguard-Actor` header when it is a plain name (the CLI
 * sends the login name), else `token-holder`. Only token holders change state, so the name is
 * what that holder claims, recorded beside the remote address.
 */
export function auditActor(request: FastifyRequest): string {
  const header = request.headers[ACTOR_HEADER];
  return typeof header === 'string' && ACTOR_PATTERN.test(header) ? header : 'token-holder';
}
