import { ensureModelDir, TINY_MODEL_ID } from '@aegis/model';
import { NodeKey } from '@aegis/protocol';
import type { RunningService } from '@aegis/service-kit';
import { waitFor } from '@aegis/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayApp } from '../gateway.app';
import { gatewayConfigFromEnv, gatewayEnvSchema } from '../gateway.config';
import { hashApiKey, InMemoryApiKeyStore, newApiKey } from '../keys/api-key';
import { KeyCustody } from '../keys/key.custody';
import { ServedModels } from './served.models';

const MASTER = '11'.repeat(32);

// The HTTP edge alone: auth, validation, error shapes, limits. TaskIngress is an address nobody
// listens on, so a valid request ends in 503. The whole path is test/gateway.int.spec.ts.
describe('gateway HTTP edge (no network behind it)', () => {
  let gateway: RunningService;
  let base: string;
  let secret: string;
  let revokedSecret: string;
  let spareSecret: string;

  beforeAll(async () => {
    const store = new InMemoryApiKeyStore();
    const custody = new KeyCustody(MASTER);
    const add = async (revoked: boolean): Promise<string> => {
      const key = NodeKey.generate();
      const k = newApiKey();
      await store.insert({
        id: k.id,
        name: 't',
        keyHash: hashApiKey(k.secret),
        account: key.address,
        sealedKey: custody.seal(key),
        createdAt: new Date(),
        revokedAt: revoked ? new Date() : null,
      });
      return k.secret;
    };
    secret = await add(false);
    revokedSecret = await add(true);
    spareSecret = await add(false);
    const env = gatewayEnvSchema.parse({
      AEGIS_DATABASE_URL: 'postgres://unused/x',
      AEGIS_MODEL_DIR: await ensureModelDir(TINY_MODEL_ID),
      AEGIS_INGRESS_URL: '127.0.0.1:1',
      AEGIS_GATEWAY_MASTER_KEY: MASTER,
      AEGIS_GATEWAY_MAX_BODY_BYTES: '4096',
      AEGIS_GATEWAY_MAX_PROMPT_TOKENS: '64',
      AEGIS_GATEWAY_RATE_PER_SECOND: '1',
      AEGIS_GATEWAY_RATE_BURST: '100',
    });
    gateway = await startGatewayApp({
      config: gatewayConfigFromEnv(env),
      models: ServedModels.fromDir(env.AEGIS_MODEL_DIR),
      store,
      masterKeyHex: MASTER,
      ingressUrl: env.AEGIS_INGRESS_URL,
      logger: pino({ level: process.env.GW_LOG ?? 'silent' }),
      httpPort: 0,
      grpcPort: 0,
      metricsPort: null,
      host: '127.0.0.1',
      handleSignals: false,
    });
    base = `http://127.0.0.1:${gateway.httpPort}/v1`;
  });
  afterAll(async () => {
    await gateway?.close();
  });

  const post = (path: string, body: unknown, key: string | null = secret): Promise<Response> =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const chat = { model: TINY_MODEL_ID, messages: [{ role: 'user', content: 'hi' }] };

  it('lists the served models, OpenAI-shaped', async () => {
    const res = await fetch(`${base}/models`, { headers: { authorization: `Bearer ${secret}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ object: 'list', data: [{ id: TINY_MODEL_ID, object: 'model', owned_by: 'aegis' }] });
  });

  it('401 without a key, with an unknown key and with a revoked key', async () => {
    for (const key of [null, 'sk-aegis-nope', revokedSecret]) {
      const res = await post('/chat/completions', chat, key);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { type: 'authentication_error', code: 'invalid_api_key' } });
    }
  });

  it('404 for a model not served, naming the param', async () => {
    const res = await post('/chat/completions', { ...chat, model: 'gpt-4o' });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { param: 'model', code: 'model_not_found' } });
  });

  it('400 naming the parameter: bad values, unsupported ones, unknown ones, a missing one', async () => {
    const cases: [object, string][] = [
      [{ ...chat, temperature: 5 }, 'temperature'],
      [{ ...chat, top_p: 0.5 }, 'top_p'],
      [{ ...chat, n: 2 }, 'n'],
      [{ ...chat, frobnicate: true }, 'frobnicate'],
      [{ model: TINY_MODEL_ID }, 'messages'],
      [{ ...chat, messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role'],
      [{ ...chat, max_tokens: 0 }, 'max_tokens'],
    ];
    for (const [body, param] of cases) {
      const res = await post('/chat/completions', body);
      const json = (await res.json()) as { error: { param: string; type: string; message: string } };
      expect({ status: res.status, param: json.error.param, type: json.error.type }).toEqual({
        status: 400,
        param,
        type: 'invalid_request_error',
      });
      expect(json.error.message).toContain(param);
    }
    const bad = await post('/chat/completions', '{not json');
    expect(bad.status).toBe(400);
  });

  it('413 for a body over the limit and for a prompt over the token cap', async () => {
    const big = await post('/chat/completions', { ...chat, messages: [{ role: 'user', content: 'x'.repeat(5000) }] });
    expect(big.status).toBe(413);
    const long = await post('/completions', { model: TINY_MODEL_ID, prompt: 'y'.repeat(200) });
    expect(long.status).toBe(413);
    expect(await long.json()).toMatchObject({ error: { param: 'prompt', code: 'context_length_exceeded' } });
  });

  it('429 once a key has spent its burst (token bucket), with Retry-After', async () => {
    // burst 100, 1 per second: the earlier tests spent part of it; spend the rest.
    let res: Response | undefined;
    for (let i = 0; i < 120; i++) {
      res = await fetch(`${base}/models`, { headers: { authorization: `Bearer ${secret}` } });
      if (res.status === 429) break;
      await res.body?.cancel();
    }
    expect(res?.status).toBe(429);
    expect(res?.headers.get('retry-after')).toBe('1');
    expect(await res?.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
  });

  it('503 when TaskIngress is unreachable', async () => {
    const res = await post('/completions', { model: TINY_MODEL_ID, prompt: 'hello', max_tokens: 4 }, spareSecret);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { type: 'service_unavailable', code: 'ingress_unavailable' } });
    // Counted on /metrics by route, status and stream.
    await waitFor('the 503 counted', async () =>
      (await gateway.metrics.getSingleMetricAsString('aegis_gateway_requests_total')).includes(
        'route="completions",stream="false",status="503"',
      ),
    );
  });
});
