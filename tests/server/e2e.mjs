// e2e.mjs — `vitrine serve` driven by the official Qdrant JavaScript client.
//
// Starts build/vitrine serve (VITRINE_BIN) on a free loopback port (--port 0; the port is read
// from the start-up line) with a temporary data folder, then checks, with @qdrant/js-client-rest
// 1.19.0 (and 1.18.0 for the legacy search()/recommend()), collections, points, payloads,
// filters, scroll/count, query (by vector, by id, prefetch + RRF/DBSF fusion, recommend), the
// legacy endpoints, aliases, snapshots, inference objects (text → image search with the shipped
// fashion-clip), API keys, persistence across a restart; and with raw fetch/TCP what a client
// cannot send: malformed JSON, deep nesting, oversized bodies, wrong content types, slow
// clients; and, as raw requests, exactly what the Python qdrant-client 1.18.0 and 1.15.1 send
// (query {"nearest": …}, uploads with wait=false, legacy search). Search results are checked
// against brute force computed here.
//
// Every response the clients (and the raw requests) get passes through a validating proxy
// (openapi-check.mjs) and is checked against Qdrant's OpenAPI spec (1.19, and 1.18 for the
// legacy endpoints): a test during which a response broke the spec fails, naming the method,
// the path and the schema error. The last test prints how many responses were checked per
// operation and fails on a request no spec operation matches (vitrine's own routes, listed in
// NOT_IN_SPEC, excepted).
//
// Prints "ok NAME" / "FAIL NAME: why" per test and ends with "N passed, N failed".
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import http from 'node:http';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';
import { QdrantClient as QdrantClient118 } from 'qdrant-js-118';
import { SpecValidator, startValidatingProxy, normalizePath } from './openapi-check.mjs';
import { spawnServe } from './serve.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = process.env.VITRINE_BIN || join(ROOT, 'build/vitrine');
const MODEL = 'fashion-clip';
let passed = 0, failed = 0;

// ------------------------------------------------------------------ spec checks
// Requests that no spec operation matches on purpose: vitrine's own routes (docs/API.md) and the
// suite's probe of an unknown route.
const NOT_IN_SPEC = [
  { re: /^GET \/console(\/.*)?$/, why: 'vitrine web console' },
  { re: /^GET \/media\/.+$/, why: 'vitrine --media-root files' },
  { re: /^GET \/no\/such\/route$/, why: 'probe of an unknown route (404)' },
];
// Keys vitrine adds to a spec response on purpose (docs/API.md), not validated: the inference
// models it serves, in /telemetry.
const spec = new SpecValidator({ extensions: [{ op: 'GET /telemetry', pointer: '/result', key: 'models' }] });
const perOperation = new Map(); // "METHOD template [spec]" -> responses checked
const unmatched = new Map(); // "METHOD path" -> count
const exempt = new Map();
let currentTest = '(outside a test)';
const violations = []; // { test, msg }

function checkResponse(r) {
  const path = normalizePath(r.url);
  // Qdrant's auth middleware answers 401 in plain text, which its spec does not describe (§10)
  if (r.status === 401 && (r.contentType || '').startsWith('text/plain')) {
    const k = `${r.method} ${path} → 401 text/plain (Qdrant's auth middleware, not in the spec)`;
    exempt.set(k, (exempt.get(k) || 0) + 1);
    return;
  }
  const res = spec.check(r);
  if (!res.op) {
    const k = `${r.method} ${path}`;
    const allowed = NOT_IN_SPEC.find((x) => x.re.test(k));
    if (allowed) exempt.set(`${k} (${allowed.why})`, (exempt.get(`${k} (${allowed.why})`) || 0) + 1);
    else unmatched.set(k, (unmatched.get(k) || 0) + 1);
    return;
  }
  const k = `${res.op} [${res.spec}]`;
  perOperation.set(k, (perOperation.get(k) || 0) + 1);
  for (const e of res.errors)
    violations.push({ test: currentTest, msg: `${r.method} ${r.url} → ${r.status}: ${e} [spec ${res.spec} ${res.op} ${res.code || ''}]` });
}

function takeViolations(name) {
  const mine = violations.filter((v) => v.test === name);
  for (const v of mine) violations.splice(violations.indexOf(v), 1);
  return mine;
}

// ------------------------------------------------------------------ harness
async function test(name, fn) {
  currentTest = name;
  try {
    await fn();
    const bad = takeViolations(name);
    if (bad.length) {
      const shown = [...new Set(bad.map((v) => v.msg))];
      throw new Error(`${bad.length} response(s) break the OpenAPI spec:\n       ${shown.slice(0, 20).join('\n       ')}${shown.length > 20 ? `\n       … and ${shown.length - 20} more` : ''}`);
    }
    passed++;
    console.log(`ok   ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 4).join(' | ') : e}`);
    if (e && e.data) console.log(`     response: ${JSON.stringify(e.data)}`);
    const bad = takeViolations(name);
    if (bad.length) console.log(`     and ${bad.length} response(s) break the OpenAPI spec:\n       ${[...new Set(bad.map((v) => v.msg))].slice(0, 20).join('\n       ')}`);
  }
  currentTest = '(between tests)';
}

async function startServer(dataDir, extra = []) {
  const { proc, listening } = spawnServe(BIN, ['--data', dataDir, '--threads', '4', ...extra], 'inherit');
  proc.on('exit', (code, signal) => {
    proc.exitCode_ = code;
    if (code !== 0) console.log(`!! server exited with ${code ?? signal}; its stderr:\n${proc.stderrText}`);
  });
  proc.directUrl = await listening;
  proc.url = proc.directUrl;
  // the clients talk to the validating proxy; directUrl is the server itself
  proc.proxy = await startValidatingProxy(proc.directUrl, checkResponse);
  proc.url = proc.proxy.url;
  return proc;
}

function stopServer(proc) {
  const stopped = new Promise((resolve) => {
    if (proc.exitCode_ !== undefined) return resolve(proc.exitCode_);
    proc.on('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
  return stopped.then(async (code) => { if (proc.proxy) await proc.proxy.close(); return code; });
}

async function raw(base, method, path, body, headers = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
    if (!('content-type' in init.headers)) init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* plain text */ }
  return { status: res.status, text, json, type: res.headers.get('content-type') || '' };
}

function assertError(res, status, prefix) {
  assert.equal(res.status, status, `status ${res.status}, body ${res.text}`);
  assert.ok(res.json && res.json.status && typeof res.json.status.error === 'string', `error envelope: ${res.text}`);
  assert.equal(typeof res.json.time, 'number');
  assert.equal(res.json.result, undefined);
  if (prefix) assert.ok(res.json.status.error.startsWith(prefix), `"${res.json.status.error}" should start with "${prefix}"`);
}

async function rejects(promise, status, substr) {
  try {
    await promise;
  } catch (e) {
    assert.equal(e.status, status, `status ${e.status}: ${JSON.stringify(e.data)}`);
    if (substr) assert.ok(JSON.stringify(e.data).includes(substr), `${JSON.stringify(e.data)} should contain ${substr}`);
    return e;
  }
  assert.fail(`expected an error ${status}`);
}

// ------------------------------------------------------------------ brute force
let seed = 42;
const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
const randVec = (d) => Array.from({ length: d }, rand);
const norm = (v) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
const dot = (a, b) => a.reduce((s, x, i) => s + x * b[i], 0);
const cosine = (a, b) => dot(norm(a), norm(b));
function bruteForce(points, q, { filter = () => true, limit = 10, score = cosine, exclude = [] } = {}) {
  return points.filter((p) => filter(p) && !exclude.includes(p.id))
    .map((p) => ({ id: p.id, score: score(p.vector, q) }))
    .sort((a, b) => b.score - a.score).slice(0, limit);
}
function sameRanking(got, want, tol = 1e-4) {
  assert.equal(got.length, want.length, `got ${got.length} results, want ${want.length}`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i].score - want[i].score) < tol, `rank ${i}: score ${got[i].score} vs ${want[i].score}`);
    // ties may swap; a differing id must have the same score
    if (got[i].id !== want[i].id) {
      const w = want.find((x) => x.id === got[i].id);
      assert.ok(w && Math.abs(w.score - got[i].score) < tol, `rank ${i}: id ${got[i].id} vs ${want[i].id}`);
    }
  }
}

// ------------------------------------------------------------------ main
const dataDir = mkdtempSync(join(tmpdir(), 'vitrine-e2e-'));
let server = await startServer(dataDir);
let url = server.url;
let client = new QdrantClient({ url, checkCompatibility: true });
const DIM = 8;
const N = 120;
const UUIDS = ['550e8400-e29b-41d4-a716-446655440000', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'];
const points = [];
for (let i = 0; i < N; i++) {
  points.push({ id: i < 2 ? UUIDS[i] : i, vector: randVec(DIM),
    payload: { group: i % 3, tag: `t${i % 5}`, price: i * 1.5, nested: { level: i % 4 } } });
}

await test('the spec checker rejects responses that break the spec', async () => {
  const chk = (method, url, status, body, contentType = 'application/json') =>
    spec.check({ method, url, status, contentType, body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)) });
  const env = (result) => ({ result, status: 'ok', time: 0.001 });
  const good = { id: 1, version: 3, score: 0.5, payload: { a: null }, vector: [1, 2] };
  assert.deepEqual(chk('POST', '/collections/c/points/query', 200, env({ points: [good] })).errors, []);
  assert.deepEqual(chk('POST', '/collections/c/points/search', 200, env([good])).errors, [], 'legacy search, from the 1.18 spec');
  assert.equal(chk('POST', '/collections/c/points/search', 200, env([good])).spec, '1.18');
  assert.deepEqual(chk('GET', '/collections/missing', 404, { status: { error: 'Not found: …' }, time: 0 }).errors, []);
  const bad = [
    ['POST', '/collections/c/points/query', 200, env({ points: [{ id: 1, score: 0.5 }] }), /\/result\/points\/0 must have required property 'version'/],
    ['POST', '/collections/c/points/query', 200, env({ points: [{ ...good, id: 'not-a-uuid' }] }), /\/result\/points\/0\/id/],
    ['POST', '/collections/c/points/query', 200, env([good]), /\/result must be object/],
    ['PUT', '/collections/c/points', 200, env({ operation_id: 1, status: 'done' }), /\/result\/status must be equal to one of the allowed values/],
    ['GET', '/collections/c', 200, env({ status: 'green', optimizer_status: 'ok', segments_count: 1, payload_schema: {},
      config: { params: { vectors: { size: 4, distance: 'Dot', extra: 1 } }, hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000 },
        optimizer_config: { deleted_threshold: 0.2, vacuum_min_vector_number: 1000, default_segment_number: 0, flush_interval_sec: 5 } } }), /\/result\/config\/params\/vectors/],
    ['GET', '/collections/c', 404, { status: 'not found', time: 0 }, /\/status must be object/],
    ['POST', '/collections/c/points/count', 200, { result: { count: 1 }, time: 0 }, /status is undefined, not "ok"/],
    ['POST', '/collections/c/points/count', 200, env({ count: -1 }), /\/result\/count must/],
    ['GET', '/healthz', 500, '', /status 500 is not declared/],
    ['GET', '/healthz', 200, '{"ok":true}', /content type "application\/json" is not declared/],
  ];
  for (const [m, u, st, b, re] of bad) {
    const r = chk(m, u, st, b);
    assert.ok(r.errors.some((e) => re.test(e)), `${m} ${u} ${st}: ${JSON.stringify(r.errors)} should match ${re}`);
  }
  assert.equal(spec.match('GET', '/no/such/route'), null);
  assert.equal(spec.match('POST', '//collections/items/points/search/batch/').template, '/collections/{collection_name}/points/search/batch');
});

await test('GET / reports Qdrant 1.19.0 without an envelope', async () => {
  const r = await raw(url, 'GET', '/');
  assert.equal(r.status, 200);
  assert.equal(r.json.title, 'qdrant - vector search engine');
  assert.equal(r.json.version, '1.19.0');
  assert.match(r.json.commit, /^[0-9a-f]{40}$/, 'VersionInfo.commit, as Qdrant sends (40 hex)');
  assert.equal(r.json.result, undefined);
  const v = await client.versionInfo();
  assert.equal(v.version, '1.19.0');
});

await test('health checks answer plain text', async () => {
  for (const p of ['/healthz', '/livez']) {
    const r = await raw(url, 'GET', p);
    assert.equal(r.status, 200);
    assert.equal(r.text, 'healthz check passed');
    assert.ok(r.type.startsWith('text/plain'));
  }
  const r = await raw(url, 'GET', '/readyz');
  assert.equal(r.text, 'all shards are ready');
});

await test('recreateCollection, exists, getCollection', async () => {
  assert.equal(await client.recreateCollection('items', { vectors: { size: DIM, distance: 'Cosine' } }), true);
  assert.deepEqual(await client.collectionExists('items'), { exists: true });
  assert.deepEqual(await client.collectionExists('nope'), { exists: false });
  const info = await client.getCollection('items');
  assert.equal(info.status, 'green');
  assert.equal(info.points_count, 0);
  assert.deepEqual(info.config.params.vectors, { size: DIM, distance: 'Cosine', on_disk: false });
  assert.equal(info.config.hnsw_config.m, 16);
  assert.deepEqual(info.payload_schema, {});
  const list = await client.getCollections();
  assert.ok(list.collections.some((c) => c.name === 'items'));
});

await test('upsert (list and columnar batch forms, int and UUID ids)', async () => {
  const first = points.slice(0, 60);
  const r = await client.upsert('items', { wait: true, points: first });
  assert.equal(r.status, 'completed');
  assert.ok(r.operation_id >= 1);
  const rest = points.slice(60);
  const r2 = await client.upsert('items', { wait: false, batch: {
    ids: rest.map((p) => p.id), vectors: rest.map((p) => p.vector), payloads: rest.map((p) => p.payload) } });
  assert.equal(r2.status, 'acknowledged');
  assert.deepEqual(await client.count('items', { exact: true }), { count: N });
  assert.equal((await client.getCollection('items')).points_count, N);
});

await test('query by vector matches brute force (exact and HNSW params)', async () => {
  for (let t = 0; t < 5; t++) {
    const q = randVec(DIM);
    const r = await client.query('items', { query: q, limit: 10, with_payload: true, params: { exact: t % 2 === 0, hnsw_ef: 64 } });
    sameRanking(r.points, bruteForce(points, q));
    for (const p of r.points) {
      assert.equal(typeof p.version, 'number');
      assert.deepEqual(p.payload, points.find((x) => x.id === p.id).payload);
    }
  }
  // Python's {"nearest": …} form
  const q = randVec(DIM);
  const r = await raw(url, 'POST', '/collections/items/points/query', { query: { nearest: q }, limit: 5 });
  sameRanking(r.json.result.points, bruteForce(points, q, { limit: 5 }));
  assert.equal(r.json.result.points[0].payload, undefined, 'with_payload defaults to false');
});

await test('query with filters, offset, score_threshold', async () => {
  const q = randVec(DIM);
  const f = { must: [{ key: 'group', match: { value: 1 } }], must_not: [{ key: 'tag', match: { any: ['t0', 't1'] } }] };
  const r = await client.query('items', { query: q, filter: f, limit: 7 });
  sameRanking(r.points, bruteForce(points, q, { limit: 7, filter: (p) => p.payload.group === 1 && !['t0', 't1'].includes(p.payload.tag) }));
  const range = await client.query('items', { query: q, filter: { must: [{ key: 'price', range: { gte: 30, lt: 60 } }] }, limit: 100 });
  sameRanking(range.points, bruteForce(points, q, { limit: 100, filter: (p) => p.payload.price >= 30 && p.payload.price < 60 }));
  const nested = await client.query('items', { query: q, filter: { must: [{ key: 'nested.level', match: { value: 2 } }] }, limit: 5 });
  sameRanking(nested.points, bruteForce(points, q, { limit: 5, filter: (p) => p.payload.nested.level === 2 }));
  const all = bruteForce(points, q, { limit: 20 });
  const off = await client.query('items', { query: q, limit: 5, offset: 10 });
  sameRanking(off.points, all.slice(10, 15));
  const thr = all[4].score - 1e-6;
  const t = await client.query('items', { query: q, limit: 50, score_threshold: thr });
  assert.equal(t.points.length, 5);
  const hasId = await client.query('items', { query: q, filter: { must: [{ has_id: [5, 6, UUIDS[0]] }] } });
  assert.deepEqual(hasId.points.map((p) => p.id).sort(), bruteForce(points, q, { filter: (p) => [5, 6, UUIDS[0]].includes(p.id) }).map((p) => p.id).sort());
});

await test('query by point id excludes the point; missing id is a 404', async () => {
  const src = points[10];
  const r = await client.query('items', { query: 10, limit: 5 });
  sameRanking(r.points, bruteForce(points, src.vector, { limit: 5, exclude: [10] }));
  const u = await client.query('items', { query: UUIDS[1], limit: 3 });
  sameRanking(u.points, bruteForce(points, points[1].vector, { limit: 3, exclude: [UUIDS[1]] }));
  const e = await raw(url, 'POST', '/collections/items/points/query', { query: 99999 });
  assertError(e, 404, 'Not found: No point with id 99999 found');
});

await test('prefetch with RRF and DBSF fusion', async () => {
  const q1 = randVec(DIM), q2 = randVec(DIM);
  const l1 = bruteForce(points, q1, { limit: 20 }), l2 = bruteForce(points, q2, { limit: 20 });
  const rrf = new Map();
  for (const l of [l1, l2]) l.forEach((p, rank) => rrf.set(p.id, (rrf.get(p.id) || 0) + 1 / (rank + 2)));
  const want = [...rrf.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10);
  const r = await client.query('items', { prefetch: [{ query: q1, limit: 20 }, { query: q2, limit: 20 }], query: { fusion: 'rrf' }, limit: 10 });
  assert.equal(r.points.length, 10);
  r.points.forEach((p, i) => assert.ok(Math.abs(p.score - want[i][1]) < 1e-5, `rrf rank ${i}: ${p.score} vs ${want[i][1]}`));
  const k = await client.query('items', { prefetch: [{ query: q1, limit: 20 }, { query: q2, limit: 20 }], query: { rrf: { k: 60 } }, limit: 3 });
  assert.ok(Math.abs(k.points[0].score - 2 / 61) < 0.01 || k.points[0].score <= 2 / 61);
  const dbsf = new Map();
  for (const l of [l1, l2]) {
    const m = l.reduce((s, p) => s + p.score, 0) / l.length;
    const sd = Math.sqrt(l.reduce((s, p) => s + (p.score - m) ** 2, 0) / (l.length - 1));
    for (const p of l) dbsf.set(p.id, (dbsf.get(p.id) || 0) + (p.score - (m - 3 * sd)) / (6 * sd));
  }
  const wantD = [...dbsf.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5);
  const d = await client.query('items', { prefetch: [{ query: q1, limit: 20 }, { query: q2, limit: 20 }], query: { fusion: 'dbsf' }, limit: 5 });
  d.points.forEach((p, i) => assert.ok(Math.abs(p.score - wantD[i][1]) < 1e-4, `dbsf rank ${i}`));
  // a vector query over prefetched candidates rescores only those
  const re = await client.query('items', { prefetch: { query: q1, limit: 15, filter: { must: [{ key: 'group', match: { value: 0 } }] } }, query: q2, limit: 5 });
  const cand = bruteForce(points, q1, { limit: 15, filter: (p) => p.payload.group === 0 }).map((p) => p.id);
  sameRanking(re.points, bruteForce(points, q2, { limit: 5, filter: (p) => cand.includes(p.id) }));
});

await test('recommend (query and legacy endpoints) is average_vector', async () => {
  const pos = [3, 4], neg = [5];
  const avg = (ids) => { const v = Array(DIM).fill(0); for (const id of ids) norm(points[id].vector).forEach((x, i) => { v[i] += x / ids.length; }); return v; };
  const ap = avg(pos), an = avg(neg);
  const target = ap.map((x, i) => x + (x - an[i]));
  const want = bruteForce(points, target, { limit: 5, exclude: [...pos, ...neg] });
  const r = await client.query('items', { query: { recommend: { positive: pos, negative: neg } }, limit: 5 });
  sameRanking(r.points, want);
  const legacy = await raw(url, 'POST', '/collections/items/points/recommend', { positive: pos, negative: neg, limit: 5 });
  sameRanking(legacy.json.result, want);
  const c118 = new QdrantClient118({ url, checkCompatibility: false });
  sameRanking(await c118.recommend('items', { positive: pos, negative: neg, limit: 5 }), want);
  // best_score and sum_scores, scored as Qdrant's reco_query.rs
  const sig = (x) => 0.5 * (x / (1 + Math.abs(x)) + 1);
  const bestScore = (v) => {
    const mp = Math.max(...pos.map((id) => cosine(points[id].vector, v)));
    const mn = Math.max(...neg.map((id) => cosine(points[id].vector, v)));
    return mp > mn ? sig(mp) : -sig(mn);
  };
  const sumScores = (v) => pos.reduce((s, id) => s + cosine(points[id].vector, v), 0) - neg.reduce((s, id) => s + cosine(points[id].vector, v), 0);
  for (const [strategy, fn] of [['best_score', bestScore], ['sum_scores', sumScores]]) {
    const w = points.filter((p) => ![...pos, ...neg].includes(p.id) && p.payload.group !== 2)
      .map((p) => ({ id: p.id, score: fn(p.vector) })).sort((a, b) => b.score - a.score).slice(0, 6);
    const got = await client.query('items', { query: { recommend: { positive: pos, negative: neg, strategy } }, filter: { must_not: [{ key: 'group', match: { value: 2 } }] }, limit: 6 });
    sameRanking(got.points, w);
  }
  const b = await raw(url, 'POST', '/collections/items/points/recommend/batch', { searches: [{ positive: pos, negative: neg, limit: 5 }, { positive: [7], limit: 2 }] });
  assert.equal(b.json.result.length, 2);
  sameRanking(b.json.result[0], want);
});

await test('query/batch and the legacy search endpoints', async () => {
  const q1 = randVec(DIM), q2 = randVec(DIM);
  const b = await client.queryBatch('items', { searches: [{ query: q1, limit: 3 }, { query: q2, limit: 4, filter: { must: [{ key: 'group', match: { value: 2 } }] } }] });
  assert.equal(b.length, 2);
  sameRanking(b[0].points, bruteForce(points, q1, { limit: 3 }));
  sameRanking(b[1].points, bruteForce(points, q2, { limit: 4, filter: (p) => p.payload.group === 2 }));
  const s = await raw(url, 'POST', '/collections/items/points/search', { vector: q1, limit: 3, with_payload: true });
  assert.ok(Array.isArray(s.json.result), 'legacy search answers a bare array');
  sameRanking(s.json.result, bruteForce(points, q1, { limit: 3 }));
  const sb = await raw(url, 'POST', '//collections/items/points/search/batch/', { searches: [{ vector: q1, limit: 2 }, { vector: q2, limit: 2 }] });
  assert.equal(sb.status, 200, sb.text);
  sameRanking(sb.json.result[1], bruteForce(points, q2, { limit: 2 }));
  const c118 = new QdrantClient118({ url, checkCompatibility: false });
  sameRanking(await c118.search('items', { vector: q2, limit: 6 }), bruteForce(points, q2, { limit: 6 }));
  const sb2 = await c118.searchBatch('items', { searches: [{ vector: q1, limit: 2 }] });
  sameRanking(sb2[0], bruteForce(points, q1, { limit: 2 }));
});

await test('query/groups groups the nearest points by a payload value', async () => {
  const q = randVec(DIM);
  const r = await client.queryGroups('items', { query: q, group_by: 'tag', group_size: 2, limit: 3, with_payload: true });
  assert.equal(r.groups.length, 3);
  const all = bruteForce(points, q, { limit: N });
  const wantGroups = [];
  for (const p of all) {
    const tag = points.find((x) => x.id === p.id).payload.tag;
    if (!wantGroups.includes(tag)) wantGroups.push(tag);
  }
  assert.deepEqual(r.groups.map((g) => g.id), wantGroups.slice(0, 3));
  for (const g of r.groups) {
    assert.equal(g.hits.length, 2);
    sameRanking(g.hits, all.filter((p) => points.find((x) => x.id === p.id).payload.tag === g.id).slice(0, 2));
    for (const h of g.hits) assert.equal(h.payload.tag, g.id);
  }
  const legacy = await raw(url, 'POST', '/collections/items/points/search/groups', { vector: q, group_by: 'tag', group_size: 2, limit: 3 });
  assert.equal(legacy.status, 200, legacy.text);
  assert.deepEqual(legacy.json.result.groups.map((g) => g.id), wantGroups.slice(0, 3));
  const reco = await raw(url, 'POST', '/collections/items/points/recommend/groups', { positive: [3], group_by: 'group', group_size: 1, limit: 5 });
  assert.equal(reco.status, 200, reco.text);
  assert.equal(reco.json.result.groups.length, 3, 'three distinct groups exist');
  assertError(await raw(url, 'POST', '/collections/items/points/query/groups', { query: q }), 400, 'Format error in JSON body');
});

await test('scroll pages through every point; order_by; count with filter', async () => {
  const seen = [];
  let offset;
  for (let page = 0; page < 10; page++) {
    const r = await client.scroll('items', { limit: 50, offset, with_payload: false });
    seen.push(...r.points.map((p) => p.id));
    if (r.next_page_offset === null || r.next_page_offset === undefined) break;
    offset = r.next_page_offset;
  }
  assert.equal(seen.length, N);
  assert.equal(new Set(seen).size, N);
  const ints = seen.filter((x) => typeof x === 'number');
  assert.deepEqual(ints, [...ints].sort((a, b) => a - b));
  const f = await client.scroll('items', { filter: { must: [{ key: 'tag', match: { value: 't3' } }] }, limit: 100, with_vector: true });
  assert.equal(f.points.length, N / 5);
  assert.equal(f.points[0].vector.length, DIM);
  const o = await client.scroll('items', { order_by: { key: 'price', direction: 'desc' }, limit: 3 });
  assert.deepEqual(o.points.map((p) => p.payload.price), [(N - 1) * 1.5, (N - 2) * 1.5, (N - 3) * 1.5]);
  assert.deepEqual(await client.count('items', { filter: { must: [{ key: 'group', match: { value: 0 } }] }, exact: true }), { count: N / 3 });
});

await test('retrieve: POST /points and GET /points/{id}', async () => {
  const r = await client.retrieve('items', { ids: [7, UUIDS[0], 424242], with_payload: true, with_vector: true });
  assert.equal(r.length, 2);
  assert.equal(r[0].id, 7);
  assert.deepEqual(r[0].payload, points[7].payload);
  r[0].vector.forEach((x, i) => assert.ok(Math.abs(x - norm(points[7].vector)[i]) < 1e-5));
  const g = await raw(url, 'GET', `/collections/items/points/${UUIDS[0]}`);
  assert.equal(g.status, 200);
  assert.equal(g.json.result.id, UUIDS[0]);
  const m = await raw(url, 'GET', '/collections/items/points/424242');
  assertError(m, 404, 'Not found: Point with id 424242 does not exists!');
  const bad = await raw(url, 'POST', '/collections/items/points', { ids: ['not-a-uuid'] });
  assertError(bad, 400, 'Wrong input: Can not recognize "not-a-uuid" as point id');
});

await test('payload set / overwrite / delete / clear, by ids and by filter, with key', async () => {
  await client.setPayload('items', { wait: true, payload: { color: 'red' }, points: [20, 21] });
  let r = await client.retrieve('items', { ids: [20] });
  assert.equal(r[0].payload.color, 'red');
  assert.equal(r[0].payload.group, points[20].payload.group);
  await client.setPayload('items', { payload: { sale: true }, filter: { must: [{ key: 'tag', match: { value: 't4' } }] } });
  assert.equal((await client.count('items', { filter: { must: [{ key: 'sale', match: { value: true } }] } })).count, N / 5);
  await client.setPayload('items', { payload: { x: 1 }, points: [22], key: 'nested' });
  r = await client.retrieve('items', { ids: [22] });
  assert.deepEqual(r[0].payload.nested, { level: 22 % 4, x: 1 });
  await client.overwritePayload('items', { payload: { only: 'this' }, points: [21] });
  r = await client.retrieve('items', { ids: [21] });
  assert.deepEqual(r[0].payload, { only: 'this' });
  await client.deletePayload('items', { keys: ['color'], points: [20] });
  r = await client.retrieve('items', { ids: [20] });
  assert.equal(r[0].payload.color, undefined);
  await client.clearPayload('items', { points: [20] });
  r = await client.retrieve('items', { ids: [20] });
  assert.deepEqual(r[0].payload, {});
  const sel = await client.query('items', { query: randVec(DIM), with_payload: ['group'], limit: 3 });
  for (const p of sel.points) assert.ok(Object.keys(p.payload).every((k) => k === 'group'));
  const ex = await client.query('items', { query: randVec(DIM), with_payload: { exclude: ['nested'] }, limit: 3 });
  for (const p of ex.points) assert.equal(p.payload.nested, undefined);
});

await test('payload indexes: create, listed in payload_schema, same filter results, delete', async () => {
  const q = randVec(DIM);
  const before = await client.query('items', { query: q, filter: { must: [{ key: 'tag', match: { value: 't2' } }, { key: 'group', range: { gte: 1 } }] }, limit: 50 });
  const r = await client.createPayloadIndex('items', { field_name: 'tag', field_schema: 'keyword', wait: true });
  assert.equal(r.status, 'completed');
  await client.createPayloadIndex('items', { field_name: 'group', field_schema: { type: 'integer', lookup: true, range: true }, wait: true });
  const info = await client.getCollection('items');
  assert.equal(info.payload_schema.tag.data_type, 'keyword');
  assert.equal(info.payload_schema.tag.points, N - 2, 'points 20 and 21 lost their tag above');
  assert.equal(info.payload_schema.group.data_type, 'integer');
  const after = await client.query('items', { query: q, filter: { must: [{ key: 'tag', match: { value: 't2' } }, { key: 'group', range: { gte: 1 } }] }, limit: 50 });
  sameRanking(after.points, before.points);
  assert.equal((await client.count('items', { filter: { must: [{ key: 'tag', match: { value: 't2' } }] } })).count, points.filter((p) => p.payload.tag === 't2' && p.id !== 21).length);
  const geo = await raw(url, 'PUT', '/collections/items/index', { field_name: 'loc', field_schema: 'geo' });
  assertError(geo, 400);
  await client.deletePayloadIndex('items', 'group', { wait: true });
  assert.deepEqual(Object.keys((await client.getCollection('items')).payload_schema), ['tag']);
});

await test('delete points by ids and by filter', async () => {
  await client.upsert('items', { wait: true, points: [{ id: 1000, vector: randVec(DIM), payload: { tmp: 1 } }, { id: 1001, vector: randVec(DIM), payload: { tmp: 2 } }, { id: 1002, vector: randVec(DIM), payload: { tmp: 2 } }] });
  assert.equal((await client.count('items')).count, N + 3);
  await client.delete('items', { wait: true, points: [1000] });
  await client.delete('items', { filter: { must: [{ key: 'tmp', match: { value: 2 } }] } });
  assert.equal((await client.count('items')).count, N);
});

await test('named vectors: missing vectors, using, update/delete vectors, batch update', async () => {
  await client.recreateCollection('multi', { vectors: { image: { size: 4, distance: 'Dot' }, text: { size: 3, distance: 'Euclid' } } });
  const info = await client.getCollection('multi');
  assert.deepEqual(info.config.params.vectors.text, { size: 3, distance: 'Euclid', on_disk: false });
  await client.upsert('multi', { wait: true, points: [
    { id: 1, vector: { image: [1, 0, 0, 0], text: [0, 0, 1] }, payload: { k: 'a' } },
    { id: 2, vector: { image: [0.5, 0.5, 0, 0] } },
    { id: 3, vector: { text: [0, 0, 0.9] } },
  ] });
  const t = await client.query('multi', { query: [0, 0, 1], using: 'text', limit: 5 });
  assert.deepEqual(t.points.map((p) => p.id), [1, 3]);
  assert.ok(Math.abs(t.points[1].score - 0.1) < 1e-5, 'Euclid score is the distance');
  const i = await client.query('multi', { query: [1, 1, 0, 0], using: 'image', limit: 5, with_vector: ['image'] });
  assert.deepEqual(i.points.map((p) => p.id), [1, 2]);
  assert.deepEqual(Object.keys(i.points[0].vector), ['image']);
  const e = await raw(url, 'POST', '/collections/multi/points/query', { query: [1, 0, 0], using: 'nope' });
  assertError(e, 400, 'Wrong input: Not existing vector name error: nope');
  await client.updateVectors('multi', { wait: true, points: [{ id: 2, vector: { text: [0, 0, 0.95] } }] });
  let r = await client.retrieve('multi', { ids: [2], with_vector: true });
  assert.deepEqual(Object.keys(r[0].vector).sort(), ['image', 'text']);
  await client.deleteVectors('multi', { points: [2], vector: ['image'] });
  r = await client.retrieve('multi', { ids: [2], with_vector: true });
  assert.deepEqual(Object.keys(r[0].vector), ['text']);
  const b = await client.batchUpdate('multi', { wait: true, operations: [
    { upsert: { points: [{ id: 4, vector: { image: [0, 0, 0, 1] }, payload: { k: 'd' } }] } },
    { set_payload: { payload: { z: 1 }, points: [4] } },
    { delete: { points: [3] } },
  ] });
  assert.equal(b.length, 3);
  assert.equal(b[2].status, 'completed');
  assert.equal((await client.count('multi')).count, 3);
  r = await client.retrieve('multi', { ids: [4] });
  assert.deepEqual(r[0].payload, { k: 'd', z: 1 });
  // old batch shape with named columns, a point missing one vector
  await client.upsert('multi', { wait: true, batch: { ids: [5, 6], vectors: { image: [[1, 1, 1, 1], [0, 1, 0, 0]] } } });
  assert.equal((await client.count('multi')).count, 5);
  await client.updateCollection('multi', { hnsw_config: { m: 8 } });
  assert.equal((await client.getCollection('multi')).config.hnsw_config.m, 8);
});

await test('quantization config and collection errors', async () => {
  assert.equal(await client.createCollection('quant', { vectors: { size: 4, distance: 'Dot' }, quantization_config: { scalar: { type: 'int8', quantile: 0.99, always_ram: true } }, hnsw_config: { m: 4, ef_construct: 32 }, on_disk_payload: true }), true);
  const info = await client.getCollection('quant');
  assert.equal(info.config.quantization_config.scalar.type, 'int8');
  assert.equal(info.config.quantization_config.scalar.quantile, 0.99); /* an f32, written as Qdrant writes it */
  assert.equal(info.config.hnsw_config.ef_construct, 32);
  await rejects(client.createCollection('quant', { vectors: { size: 4, distance: 'Dot' } }), 409, 'already exists');
  await rejects(client.getCollection('missing'), 404, "Not found: Collection `missing` doesn't exist!");
  const big = await raw(url, 'PUT', '/collections/toobig', { vectors: { size: 65537, distance: 'Dot' } });
  assertError(big, 422);
  assert.equal(big.json.status.error, 'Validation error in JSON body: [vectors.size: value 65537 invalid, must be from 1 to 65536]');
  const ok = await raw(url, 'PUT', '/collections/maxdim', { vectors: { size: 65536, distance: 'Dot' } });
  assert.equal(ok.status, 200, ok.text);
  const dist = await raw(url, 'PUT', '/collections/baddist', { vectors: { size: 4, distance: 'Hamming' } });
  assertError(dist, 400, 'Format error in JSON body');
  const dim = await raw(url, 'PUT', '/collections/items/points', { points: [{ id: 1, vector: [1, 2, 3] }] });
  assertError(dim, 400);
  assert.ok(dim.json.status.error.includes('dimension'), dim.text);
  assert.equal(await client.deleteCollection('quant'), true);
  assert.equal(await client.deleteCollection('quant'), false, 'deleting a missing collection is 200 false');
});

await test('aliases: create, list, query through, rename, delete, 409; no collection over an alias', async () => {
  assert.equal(await client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'items', alias_name: 'shop' } }] }), true);
  const all = await client.getAliases();
  assert.deepEqual(all.aliases, [{ alias_name: 'shop', collection_name: 'items' }]);
  assert.deepEqual((await client.getCollectionAliases('items')).aliases, [{ alias_name: 'shop', collection_name: 'items' }]);
  assert.equal((await client.count('shop')).count, N);
  await rejects(client.updateCollectionAliases({ actions: [{ create_alias: { collection_name: 'items', alias_name: 'shop' } }] }), 409);
  // a collection cannot take an alias's name: Qdrant's 400 (an existing collection's name is a 409)
  await rejects(client.createCollection('shop', { vectors: { size: DIM, distance: 'Cosine' } }), 400,
    "Can't create collection with name shop. Alias with the same name already exists");
  await rejects(client.createCollection('items', { vectors: { size: DIM, distance: 'Cosine' } }), 409);
  await client.updateCollectionAliases({ actions: [{ rename_alias: { old_alias_name: 'shop', new_alias_name: 'store' } }] });
  assert.equal((await client.query('store', { query: randVec(DIM), limit: 2 })).points.length, 2);
  await client.updateCollectionAliases({ actions: [{ delete_alias: { alias_name: 'store' } }] });
  assert.deepEqual((await client.getAliases()).aliases, []);
  await rejects(client.updateCollectionAliases({ actions: [{ delete_alias: { alias_name: 'store' } }] }), 404);
});

await test('snapshots: create, list (with checksums), download, recover, delete', async () => {
  const s = await client.createSnapshot('items', { wait: true });
  assert.ok(s.name.startsWith('items-') && s.name.endsWith('.snapshot'), s.name);
  assert.ok(s.size > 0);
  const list = await client.listSnapshots('items');
  assert.ok(list.some((x) => x.name === s.name));
  assert.match(s.checksum, /^[0-9a-f]{64}$/, 'SnapshotDescription.checksum: sha256 hex, as Qdrant always sends');
  assert.equal(list.find((x) => x.name === s.name).checksum, s.checksum);
  const d = await fetch(`${url}/collections/items/snapshots/${s.name}`);
  assert.equal(d.status, 200);
  const bytes = await d.arrayBuffer();
  assert.equal(bytes.byteLength, s.size);
  assert.equal(createHash('sha256').update(Buffer.from(bytes)).digest('hex'), s.checksum);
  const form = new FormData();
  form.append('snapshot', new Blob([bytes]), s.name);
  const up = await fetch(`${url}/collections/restored/snapshots/upload?priority=snapshot`, { method: 'POST', body: form });
  assert.equal(up.status, 200, await up.clone().text());
  assert.equal((await up.json()).result, true);
  assert.equal((await client.count('restored')).count, N);
  const again = await raw(url, 'POST', '/collections/restored/snapshots/upload', new Uint8Array(bytes), { 'content-type': 'application/octet-stream' });
  assert.equal(again.status, 200, again.text);
  const junk = new FormData();
  junk.append('snapshot', new Blob([new Uint8Array(5000).fill(7)]), 'junk.snapshot');
  const bad = await fetch(`${url}/collections/restored/snapshots/upload`, { method: 'POST', body: junk });
  assert.equal(bad.status, 400);
  assert.equal((await client.count('restored')).count, N, 'a bad upload leaves the collection as it was');
  assert.equal(await client.recoverSnapshot('restored2', { location: `file://${dataDir}/snapshots/items/${s.name}`, wait: true }), true);
  assert.deepEqual(await client.retrieve('restored2', { ids: [7] }), await client.retrieve('items', { ids: [7] }));
  // file:// as Qdrant reads it: localhost is the local host, any other host, a missing file or a
  // file outside the snapshots folder is a 400
  const local = `file://localhost${dataDir}/snapshots/items/${s.name}`;
  assert.equal(await client.recoverSnapshot('restored3', { location: local, checksum: s.checksum }), true);
  assert.equal((await client.count('restored3')).count, N);
  assertError(await raw(url, 'PUT', '/collections/x/snapshots/recover', { location: local, checksum: '3'.repeat(64) }), 400, 'Bad request: Snapshot checksum mismatch');
  assertError(await raw(url, 'PUT', '/collections/x/snapshots/recover', { location: 'file:///etc/passwd' }), 400,
    'Bad request: Snapshot file path must be inside the snapshots directory');
  for (const [location, error] of [
    ['file://otherhost/x.snapshot', 'Bad request: Invalid snapshot URI, file path must be absolute or on localhost'],
    ['file:///missing.snapshot', 'Bad request: Snapshot file "/missing.snapshot" does not exist'],
    ['file://localhost/missing.snapshot', 'Bad request: Snapshot file "/missing.snapshot" does not exist'],
  ]) {
    const e = await raw(url, 'PUT', '/collections/x/snapshots/recover', { location });
    assertError(e, 400);
    assert.equal(e.json.status.error, error);
  }
  await client.deleteCollection('restored3');
  const traversal = await raw(url, 'GET', '/collections/items/snapshots/..%2F..%2Fdata.mdb');
  assert.ok(traversal.status === 400 || traversal.status === 404, `traversal answered ${traversal.status}`);
  assert.equal(await client.deleteSnapshot('items', s.name), true);
  assert.equal((await client.listSnapshots('items')).length, 0);
});

// ------------------------------------------------------------------ Python clients on the wire
// What qdrant-client 1.18.0 and 1.15.1 send (docs: qdrant-compat.md §9.3, §9.4), byte for byte as
// raw requests through the validating proxy: request bodies are serialised with exclude_unset /
// exclude_none (no nulls), query as {"nearest": …}, uploads with ?wait=false, recreate_collection
// as DELETE then PUT, the legacy /points/search with {"name","vector"}. pydantic parses every
// 200/201/202 answer, so the shapes are checked against the spec by the proxy; the results here.
await test('Python client wire shapes', async () => {
  const PY = 'py_wire', PYN = 'py_wire_named', D = 4;
  const ua = { 'user-agent': 'python-client/1.18.0 python/3.11.2' };
  const py = (method, path, body) => raw(url, method, path, body, ua);
  const ok = (r) => { assert.equal(r.status, 200, `${r.status} ${r.text}`); assert.equal(r.json.status, 'ok'); return r.json.result; };
  // construction: the version check
  const root = await py('GET', '/');
  assert.equal(root.json.version, '1.19.0');
  // collection_exists, recreate_collection (DELETE, then PUT), create_collection (named)
  assert.deepEqual(ok(await py('GET', `/collections/${PY}/exists`)), { exists: false });
  assert.equal(ok(await py('DELETE', `/collections/${PY}`)), false);
  assert.equal(ok(await py('PUT', `/collections/${PY}`, { vectors: { size: D, distance: 'Cosine' } })), true);
  assert.equal(ok(await py('DELETE', `/collections/${PY}`)), true);
  assert.equal(ok(await py('PUT', `/collections/${PY}`, { vectors: { size: D, distance: 'Cosine' } })), true);
  assert.deepEqual(ok(await py('GET', `/collections/${PY}/exists`)), { exists: true });
  assert.equal(ok(await py('PUT', `/collections/${PYN}`, { vectors: { text: { size: D, distance: 'Cosine' }, image: { size: D, distance: 'Dot' } } })), true);
  // create_payload_index (1.18 and 1.15.1 send ?wait=true and a bare schema or a params object)
  assert.equal(ok(await py('PUT', `/collections/${PY}/index?wait=true`, { field_name: 'city', field_schema: 'keyword' })).status, 'completed');
  assert.equal(ok(await py('PUT', `/collections/${PY}/index?wait=true`, { field_name: 'a', field_schema: { type: 'integer', lookup: true, range: true } })).status, 'completed');
  // upsert (wait=true), upload_points / upload_collection (wait=false)
  const UUID5 = '00000000-0000-0000-0000-000000000005';
  const pyPoints = [];
  for (let i = 0; i < 40; i++)
    pyPoints.push({ id: i === 5 ? UUID5 : i, vector: randVec(D), payload: { a: i % 3, city: ['Berlin', 'Munich'][i % 2] } });
  const up = ok(await py('PUT', `/collections/${PY}/points?wait=true`, { points: pyPoints.slice(0, 10).map((p) => (p.id === UUID5 ? { id: p.id, vector: p.vector } : p)) }));
  assert.equal(up.status, 'completed');
  assert.equal(typeof up.operation_id, 'number');
  const upl = ok(await py('PUT', `/collections/${PY}/points?wait=false`, { points: pyPoints.slice(10, 25) }));
  assert.equal(upl.status, 'acknowledged', 'wait=false answers acknowledged (the write has committed all the same)');
  assert.equal(ok(await py('PUT', `/collections/${PY}/points?wait=false`, { points: pyPoints.slice(25) })).status, 'acknowledged');
  pyPoints[5].payload = undefined; // the upsert above sent point 5 without a payload
  // count
  assert.deepEqual(ok(await py('POST', `/collections/${PY}/points/count`, { exact: true })), { count: 40 });
  // query_points: {"query": {"nearest": …}}
  const q = randVec(D);
  const qr = ok(await py('POST', `/collections/${PY}/points/query`, { query: { nearest: q }, limit: 3, with_vector: false, with_payload: true }));
  sameRanking(qr.points, bruteForce(pyPoints, q, { limit: 3 }));
  for (const p of qr.points) {
    assert.equal(typeof p.version, 'number', 'ScoredPoint.version is required by pydantic');
    assert.equal(p.vector, undefined);
    assert.deepEqual(p.payload, pyPoints.find((x) => x.id === p.id).payload || {});
  }
  // retrieve(ids=[1], with_vectors=True)
  const rt = ok(await py('POST', `/collections/${PY}/points`, { ids: [1], with_payload: true, with_vector: true }));
  assert.equal(rt.length, 1);
  assert.equal(rt[0].id, 1);
  assert.deepEqual(rt[0].payload, pyPoints[1].payload);
  rt[0].vector.forEach((x, i) => assert.ok(Math.abs(x - norm(pyPoints[1].vector)[i]) < 1e-5));
  // scroll(limit=10)
  const sc = ok(await py('POST', `/collections/${PY}/points/scroll`, { limit: 10, with_payload: true, with_vector: false }));
  assert.equal(sc.points.length, 10);
  assert.deepEqual(sc.points.map((p) => p.id), [0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
  assert.equal(sc.next_page_offset, 11);
  // filtered by the keyword index
  assert.deepEqual(ok(await py('POST', `/collections/${PY}/points/count`, { filter: { must: [{ key: 'city', match: { value: 'Berlin' } }] }, exact: true })), { count: 20 });
  // legacy 1.15.1 search: {"vector": […]} and {"vector": {"name", "vector"}}, bare-array answers
  const ls = ok(await py('POST', `/collections/${PY}/points/search`, { vector: q, limit: 3, with_payload: true, with_vector: false }));
  assert.ok(Array.isArray(ls));
  sameRanking(ls, bruteForce(pyPoints, q, { limit: 3 }));
  // delete(PointIdsList) with ?wait=true
  assert.equal(ok(await py('POST', `/collections/${PY}/points/delete?wait=true`, { points: [1] })).status, 'completed');
  assert.deepEqual(ok(await py('POST', `/collections/${PY}/points/count`, { exact: true })), { count: 39 });
  assert.deepEqual(ok(await py('POST', `/collections/${PY}/points`, { ids: [1], with_payload: true, with_vector: true })), []);
  // named vectors: upsert by name, query with using + filter, legacy search with {"name","vector"}
  const named = pyPoints.slice(0, 20).map((p, i) => ({ id: i, vector: { text: randVec(D), image: randVec(D) }, payload: { a: i % 3 } }));
  ok(await py('PUT', `/collections/${PYN}/points?wait=true`, { points: named }));
  const byImage = named.map((p) => ({ id: p.id, vector: p.vector.image, payload: p.payload }));
  const nq = ok(await py('POST', `/collections/${PYN}/points/query`, { query: { nearest: q }, using: 'image', filter: { must: [{ key: 'a', match: { value: 1 } }] }, limit: 3, with_vector: false, with_payload: true }));
  sameRanking(nq.points, bruteForce(byImage, q, { limit: 3, score: dot, filter: (p) => p.payload.a === 1 }));
  const nl = ok(await py('POST', `/collections/${PYN}/points/search`, { vector: { name: 'image', vector: q }, filter: { must: [{ key: 'a', match: { value: 1 } }] }, limit: 3, with_payload: true, with_vector: false }));
  sameRanking(nl, bruteForce(byImage, q, { limit: 3, score: dot, filter: (p) => p.payload.a === 1 }));
  const byText = named.map((p) => ({ id: p.id, vector: p.vector.text }));
  sameRanking(ok(await py('POST', `/collections/${PYN}/points/search`, { vector: { name: 'text', vector: q }, limit: 4, with_payload: true, with_vector: false })),
    bruteForce(byText, q, { limit: 4 }));
  assert.equal(ok(await py('DELETE', `/collections/${PYN}`)), true);
  assert.equal(ok(await py('DELETE', `/collections/${PY}`)), true);
});

// ------------------------------------------------------------------ inference objects
const b64 = (f) => readFileSync(join(ROOT, 'tests/fixtures/images', f)).toString('base64');
// fixture classes (Fashion-MNIST test set): 0 ankle boot, 1 pullover, 2 and 3 trouser
const IMAGES = ['fashion_00000.png', 'fashion_00001.png', 'fashion_00002.png', 'fashion_00003.png'];

await test('inference: images embedded on upsert, searched by text', async () => {
  await client.recreateCollection('fashion', { vectors: { size: 64, distance: 'Cosine' } });
  await client.upsert('fashion', { wait: true, points: IMAGES.map((f, i) => ({ id: i, vector: { image: b64(f), model: MODEL }, payload: { file: f } })) });
  const boot = await client.query('fashion', { query: { text: 'a photo of an ankle boot', model: MODEL }, limit: 4, with_payload: true });
  assert.equal(boot.points[0].id, 0);
  assert.equal(boot.points[0].payload.file, IMAGES[0]);
  const pull = await client.query('fashion', { query: { nearest: { text: 'a photo of a pullover', model: MODEL } }, limit: 1 });
  assert.equal(pull.points[0].id, 1);
  // the Qdrant Cloud document form, the model omitted (the default model) and a data: URL
  const doc = await raw(url, 'POST', '/collections/fashion/points/query', { query: { text: 'a photo of a trouser' }, limit: 2 });
  assert.deepEqual(doc.json.result.points.map((p) => p.id).sort(), [2, 3]);
  const img = await client.query('fashion', { query: { image: `data:image/png;base64,${b64(IMAGES[1])}`, model: MODEL }, limit: 1 });
  assert.equal(img.points[0].id, 1);
  assert.ok(img.points[0].score > 0.999);
  // in a prefetch, fused
  const f = await client.query('fashion', { prefetch: [{ query: { text: 'ankle boot', model: MODEL }, limit: 2 }, { query: { text: 'a photo of an ankle boot', model: MODEL }, limit: 2 }], query: { fusion: 'rrf' }, limit: 1 });
  assert.equal(f.points[0].id, 0);
});

// a loopback HTTP server that serves the fixture images, for image URLs
const imageServer = http.createServer((req, res) => {
  const name = req.url.slice(1);
  if (!IMAGES.includes(name)) { res.writeHead(404); res.end('no'); return; }
  res.writeHead(200, { 'content-type': 'image/png' });
  res.end(readFileSync(join(ROOT, 'tests/fixtures/images', name)));
});
await new Promise((res) => imageServer.listen(0, '127.0.0.1', res));
const imagePort = imageServer.address().port;

await test('inference: images by http URL', async () => {
  await client.upsert('fashion', { wait: true, points: [{ id: 10, vector: { image: `http://127.0.0.1:${imagePort}/${IMAGES[1]}`, model: MODEL } }] });
  const r = await client.query('fashion', { query: { image: `http://127.0.0.1:${imagePort}/${IMAGES[1]}`, model: MODEL }, limit: 2 });
  assert.deepEqual(r.points.map((p) => p.id).sort(), [1, 10]);
  assert.ok(r.points[0].score > 0.999 && r.points[1].score > 0.999);
  await client.delete('fashion', { wait: true, points: [10] });
});

await test('inference: named vectors from text and image', async () => {
  await client.recreateCollection('fashion2', { vectors: { image: { size: 64, distance: 'Cosine' }, caption: { size: 64, distance: 'Cosine' } } });
  await client.upsert('fashion2', { wait: true, points: [
    { id: 1, vector: { image: { image: b64(IMAGES[0]), model: MODEL }, caption: { text: 'a dark ankle boot', model: MODEL } } },
    { id: 2, vector: { image: { image: b64(IMAGES[1]), model: MODEL }, caption: { text: 'a warm pullover', model: MODEL } } },
  ] });
  const r = await client.query('fashion2', { query: { text: 'a photo of a pullover', model: MODEL }, using: 'image', limit: 1 });
  assert.equal(r.points[0].id, 2);
  const c = await client.query('fashion2', { query: { text: 'boot', model: MODEL }, using: 'caption', limit: 1 });
  assert.equal(c.points[0].id, 1);
});

await test('inference errors are 400s naming the problem', async () => {
  const unk = await raw(url, 'POST', '/collections/fashion/points/query', { query: { text: 'x', model: 'no-such-model' } });
  assertError(unk, 400, 'Wrong input');
  assert.ok(unk.json.status.error.includes('unknown model "no-such-model"'), unk.text);
  const badb64 = await raw(url, 'POST', '/collections/fashion/points/query', { query: { image: '!!!not base64!!!', model: MODEL } });
  assertError(badb64, 400);
  assert.ok(badb64.json.status.error.includes('base64'), badb64.text);
  const notimg = await raw(url, 'POST', '/collections/fashion/points/query', { query: { image: Buffer.from('hello world, not an image').toString('base64'), model: MODEL } });
  assertError(notimg, 400);
  assert.ok(notimg.json.status.error.includes('does not decode'), notimg.text);
  const urlimg = await raw(url, 'PUT', '/collections/fashion/points', { points: [{ id: 9, vector: { image: `http://127.0.0.1:${imagePort}/missing.png`, model: MODEL } }] });
  assertError(urlimg, 400);
  assert.ok(urlimg.json.status.error.includes('cannot fetch the image'), urlimg.text);
  assert.equal((await client.count('fashion')).count, 4, 'a failed upsert wrote nothing');
});

// ------------------------------------------------------------------ raw HTTP
await test('malformed JSON, wrong types and content types are 400 with the error envelope', async () => {
  assertError(await raw(url, 'POST', '/collections/items/points/query', '{"query": [1, 2'), 400, 'Format error in JSON body');
  assertError(await raw(url, 'POST', '/collections/items/points/query', '{"limit": 1, "limit": 2}'), 400, 'Format error in JSON body');
  assertError(await raw(url, 'POST', '/collections/items/points/query', '[1, 2]'), 400, 'Format error in JSON body');
  assertError(await raw(url, 'POST', '/collections/items/points/scroll', { limit: 'ten' }), 400, 'Format error in JSON body');
  assertError(await raw(url, 'POST', '/collections/items/points/query', '{"limit": 1}', { 'content-type': 'text/plain' }), 400, 'Format error in JSON body');
  assertError(await raw(url, 'PUT', '/collections/x', ''), 400, 'Format error in JSON body');
  assertError(await raw(url, 'POST', '/collections/items/points/query', { query: [1, 2, 3, 4, 5, 6, 7, 8], limit: 0 }), 422, 'Validation error in JSON body');
  assertError(await raw(url, 'POST', '/collections/items/points/query', { query: [1, 2, 3, 4, 5, 6, 7, 8], filter: { must: [{ key: 'a', match: { nope: 1 } }] } }), 400);
  const r = await raw(url, 'GET', '/no/such/route');
  assert.equal(r.status, 404);
  assertError(await raw(url, 'POST', '/collections/missing/points/query', { query: [1] }), 404, 'Not found');
});

await test('deep nesting is refused without a crash', async () => {
  const deep = '{"filter":' + '{"must":['.repeat(5000) + ']}'.repeat(5000) + '}';
  assertError(await raw(url, 'POST', '/collections/items/points/count', deep), 400, 'Format error in JSON body');
  const arr = '['.repeat(100000);
  assertError(await raw(url, 'POST', '/collections/items/points/count', arr), 400, 'Format error in JSON body');
  assert.equal((await raw(url, 'GET', '/healthz')).status, 200);
});

await test('a body over 32 MiB is a 400 Payload error and the server keeps serving', async () => {
  const size = 32 * 1024 * 1024 + 100;
  const body = new Uint8Array(size).fill(0x20);
  const r = await raw(url, 'PUT', '/collections/items/points', body);
  assertError(r, 400, 'Payload error: JSON payload (');
  assert.ok(r.json.status.error.endsWith('is larger than allowed (limit: 33554432 bytes).'), r.json.status.error);
  assert.equal((await client.count('items')).count, N);
});

await test('a slow client does not block others', async () => {
  const port = Number(new URL(server.directUrl).port); // the server itself, not the proxy
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((res) => sock.on('connect', res));
  const body = JSON.stringify({ exact: true });
  sock.write(`POST /collections/items/points/count HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
  sock.write(body.slice(0, 3));
  const reqs = await Promise.all(Array.from({ length: 20 }, () => client.count('items')));
  assert.ok(reqs.every((x) => x.count === N));
  let reply = '';
  sock.on('data', (d) => { reply += d.toString(); });
  const done = new Promise((res) => sock.on('end', res));
  sock.end(body.slice(3));
  await Promise.race([done, new Promise((res) => setTimeout(res, 2000))]);
  sock.destroy();
  assert.ok(reply.startsWith('HTTP/1.1 200'), reply.slice(0, 80));
  assert.ok(reply.includes(`{"result":{"count":${N}}`), reply);
});

await test('64 concurrent searches all succeed', async () => {
  const res = await Promise.all(Array.from({ length: 64 }, () => client.query('items', { query: randVec(DIM), limit: 10, filter: { must: [{ key: 'group', match: { value: 1 } }] } })));
  assert.ok(res.every((r) => r.points.length === 10));
});

await test('concurrent upserts and searches from many clients', async () => {
  await client.recreateCollection('busy', { vectors: { size: 4, distance: 'Euclid' } });
  const writers = Array.from({ length: 16 }, (_, w) => client.upsert('busy', { wait: true,
    points: Array.from({ length: 25 }, (_, i) => ({ id: w * 100 + i, vector: randVec(4), payload: { w } })) }));
  const readers = Array.from({ length: 32 }, () => client.query('busy', { query: randVec(4), limit: 5 }));
  const results = await Promise.all([...writers, ...readers]);
  assert.ok(results.slice(0, 16).every((r) => r.status === 'completed'));
  assert.equal((await client.count('busy')).count, 400);
  for (let w = 0; w < 16; w += 5)
    assert.equal((await client.count('busy', { filter: { must: [{ key: 'w', match: { value: w } }] } })).count, 25);
  await client.deleteCollection('busy');
});

await test('/metrics and /telemetry', async () => {
  const m = await raw(url, 'GET', '/metrics');
  assert.equal(m.status, 200);
  assert.ok(m.text.includes('rest_responses_total{method="POST",endpoint="/collections/{}/points/query"}'), m.text.slice(0, 400));
  assert.ok(m.text.includes('collection_points{collection="items"} ' + N));
  assert.ok(m.text.includes('memory_allocated_bytes'));
  assert.ok(m.text.match(/rest_responses_duration_seconds_bucket\{method="POST",endpoint="\/collections\/\{\}\/points\/query",le="\+Inf"\} \d+/), 'latency histogram');
  const t = await raw(url, 'GET', '/telemetry');
  assert.equal(t.json.result.app.version, '1.19.0');
  assert.equal(t.json.result.models[0].name, MODEL);
});

await test('data survives a restart (SIGTERM drains, then a new server)', async () => {
  // requests racing the shutdown either complete correctly or see a closed connection
  const inflight = Promise.allSettled(Array.from({ length: 8 }, () => client.query('items', { query: randVec(DIM), limit: 5 })));
  await new Promise((res) => setTimeout(res, 5));
  const code = await stopServer(server);
  assert.equal(code, 0, 'clean exit');
  for (const s of await inflight) {
    if (s.status === 'fulfilled') assert.equal(s.value.points.length, 5);
    else assert.ok(String(s.reason.cause || s.reason).match(/closed|ECONNRESET|ECONNREFUSED|socket/i), String(s.reason));
  }
  server = await startServer(dataDir);
  url = server.url;
  client = new QdrantClient({ url });
  assert.equal((await client.count('items')).count, N);
  const q = randVec(DIM);
  const r = await client.query('items', { query: q, limit: 5, params: { exact: true } });
  assert.equal(r.points.length, 5);
  assert.equal((await client.retrieve('items', { ids: [21] }))[0].payload.only, 'this');
});

await test('the restarted server exits 0 on SIGTERM', async () => {
  assert.equal(await stopServer(server), 0);
});

// ------------------------------------------------------------------ API keys
const keyDir = mkdtempSync(join(tmpdir(), 'vitrine-e2e-key-'));
const keyed = await startServer(keyDir, ['--api-key', 'secret-key', '--read-only-api-key', 'read-key']);

await test('api key: 401 plain text without or with a wrong key; health checks open', async () => {
  const u = keyed.url;
  const none = await raw(u, 'GET', '/collections');
  assert.equal(none.status, 401);
  assert.equal(none.text, 'Must provide an API key or an Authorization bearer token');
  const wrong = await raw(u, 'GET', '/collections', undefined, { 'api-key': 'secret-kez' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.text, 'Invalid API key or JWT');
  assert.equal((await raw(u, 'GET', '/healthz')).status, 200);
  assert.equal((await raw(u, 'GET', '/')).status, 200);
  const bearer = await raw(u, 'GET', '/collections', undefined, { authorization: 'Bearer secret-key' });
  assert.equal(bearer.status, 200);
  const bad = new QdrantClient({ url: u, apiKey: 'nope', checkCompatibility: false });
  await rejects(bad.getCollections(), 401);
});

await test('api key: the client with the key works; the read-only key gets 403 on writes', async () => {
  const c = new QdrantClient({ url: keyed.url, apiKey: 'secret-key' });
  assert.equal(await c.createCollection('k', { vectors: { size: 2, distance: 'Dot' } }), true);
  await c.upsert('k', { wait: true, points: [{ id: 1, vector: [1, 0] }] });
  const ro = new QdrantClient({ url: keyed.url, apiKey: 'read-key' });
  assert.equal((await ro.count('k')).count, 1);
  assert.equal((await ro.query('k', { query: [1, 0] })).points[0].id, 1);
  await rejects(ro.upsert('k', { points: [{ id: 2, vector: [0, 1] }] }), 403, 'Forbidden: Global manage access is required');
  await rejects(ro.deleteCollection('k'), 403, 'Forbidden: Global manage access is required');
  assert.equal((await c.count('k')).count, 1);
});

await test('the keyed server exits 0 on SIGTERM', async () => {
  assert.equal(await stopServer(keyed), 0);
});
await test('every response conforms to the OpenAPI spec; every request matches a spec operation', async () => {
  const total = [...perOperation.values()].reduce((a, b) => a + b, 0);
  console.log(`     responses checked against the spec: ${total}, in ${perOperation.size} operations`);
  for (const [k, n] of [...perOperation.entries()].sort()) console.log(`     ${String(n).padStart(5)}  ${k}`);
  for (const [k, n] of [...exempt.entries()].sort()) console.log(`     ${String(n).padStart(5)}  not checked: ${k}`);
  for (const [k, n] of [...spec.extensionHits.entries()].sort()) console.log(`     ${String(n).padStart(5)}  vitrine extension key left out before validation: ${k}`);
  const stray = takeViolations('(between tests)').concat(takeViolations('(outside a test)'));
  assert.equal(stray.length, 0, `responses outside a test break the spec:\n       ${stray.map((v) => v.msg).join('\n       ')}`);
  assert.equal(unmatched.size, 0, `requests that match no operation of the spec: ${[...unmatched.keys()].join(', ')}`);
});

imageServer.close();
rmSync(dataDir, { recursive: true, force: true });
rmSync(keyDir, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
