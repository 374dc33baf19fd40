// openapi-check.mjs — checks HTTP responses against Qdrant's OpenAPI specification.
//
// The e2e suite (e2e.mjs) puts a small HTTP proxy (startValidatingProxy) between the clients
// and `vitrine serve`; every response that passes through it is matched to a spec operation by
// method and path template (/collections/{collection_name}/points/{id}) and checked:
//   - the status code is declared: the exact code, else "4XX"/"5XX", else "default";
//   - the content type is one the declared response has (application/json, text/plain,
//     application/octet-stream);
//   - a JSON body validates (ajv) against responses[code].content["application/json"].schema,
//     with $ref resolved inside the spec and OpenAPI 3.0's `nullable: true` rewritten to JSON
//     Schema; objects are closed: a key the spec does not declare is an error (qdrant-client's
//     pydantic models for request-shaped types are extra="forbid", e.g. VectorParams inside
//     CollectionInfo, so an undeclared key is a parse failure in Python);
//   - a JSON 200 whose schema has `result` is the full success envelope
//     {"result", "status": "ok", "time": number} (the spec leaves these optional, Qdrant always
//     sends them).
// The specs are copies in tests/server/openapi/: v1.19 (Qdrant's current spec) first, then
// v1.18, for the legacy endpoints 1.19 still serves but no longer documents (/points/search,
// /search/batch, /search/groups, /recommend, /recommend/batch, /recommend/groups).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';

const DIR = fileURLToPath(new URL('./openapi/', import.meta.url));
export const SPECS = [
  { name: '1.19', file: 'qdrant-openapi-v1.19.json' },
  { name: '1.18', file: 'qdrant-openapi-v1.18.json' },
];

// OpenAPI 3.0 → JSON Schema (draft-07 as ajv reads it): `nullable`, closed objects.
function convert(s) {
  if (Array.isArray(s)) return s.map(convert);
  if (!s || typeof s !== 'object') return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'example' || k === 'nullable') continue;
    if (k === 'properties') {
      out.properties = {};
      for (const [p, ps] of Object.entries(v)) out.properties[p] = convert(ps);
    } else if (k === 'enum' || k === 'required' || k === 'default') {
      out[k] = v;
    } else {
      out[k] = convert(v);
    }
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  if (s.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (out.enum && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else if (Object.keys(out).filter((k) => k !== 'description' && k !== 'default').length === 0) {
      return {}; // {"nullable": true} alone: any value
    } else {
      const { description, default: def, ...rest } = out;
      return { description, anyOf: [rest, { type: 'null' }] };
    }
  }
  return out;
}

// '#/components/...' refs of a schema taken out of its document point back into that document
function rebase(s, id) {
  if (Array.isArray(s)) return s.map((x) => rebase(x, id));
  if (!s || typeof s !== 'object') return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? id + v : rebase(v, id);
  return out;
}

const uint = { type: 'number', validate: (n) => Number.isInteger(n) && n >= 0 };
const FORMATS = {
  uint, uint8: uint, uint16: uint, uint32: uint, uint64: uint,
  int32: { type: 'number', validate: Number.isInteger }, int64: { type: 'number', validate: Number.isInteger },
  float: { type: 'number', validate: Number.isFinite }, double: { type: 'number', validate: Number.isFinite },
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  'date-time': /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i,
  'partial-date-time': true, uri: true, binary: true,
};

function escapeRe(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

export function normalizePath(url) {
  let p = url.split('?')[0].split('#')[0];
  p = p.replace(/\/{2,}/g, '/');
  if (p.length > 1 && p.endsWith('/')) p = p.replace(/\/+$/, '');
  return p || '/';
}

export class SpecValidator {
  // extensions: [{ op: "GET /telemetry", pointer: "/result", key: "models" }]: keys a server adds
  // on purpose, left out of the body before it is validated (and counted in this.extensionHits)
  constructor({ extensions = [] } = {}) {
    this.extensions = extensions;
    this.extensionHits = new Map();
    this.ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false, validateFormats: true });
    for (const [name, f] of Object.entries(FORMATS)) this.ajv.addFormat(name, f);
    this.ops = [];
    this.compiled = new Map();
    for (const spec of SPECS) {
      const doc = JSON.parse(readFileSync(DIR + spec.file, 'utf8'));
      const id = `qdrant-${spec.name}.json`;
      this.ajv.addSchema({ $id: id, components: convert(doc.components) });
      for (const [template, item] of Object.entries(doc.paths)) {
        const segs = template.split('/').filter(Boolean);
        const re = new RegExp('^/' + segs.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : escapeRe(s))).join('/') + '$');
        const literal = segs.filter((s) => !/^\{.+\}$/.test(s)).length;
        for (const [method, op] of Object.entries(item)) {
          if (!op || !op.responses) continue;
          this.ops.push({ spec: spec.name, specIndex: SPECS.indexOf(spec), id, method: method.toUpperCase(), template, re, literal, segs: segs.length, responses: op.responses });
        }
      }
    }
    // the first spec wins; within a spec, the template with the most literal segments
    this.ops.sort((a, b) => a.specIndex - b.specIndex || b.literal - a.literal);
  }

  match(method, url) {
    const path = normalizePath(url);
    return this.ops.find((o) => o.method === method && o.re.test(path)) || null;
  }

  schemaFor(op, code, ctype) {
    const key = `${op.spec} ${op.method} ${op.template} ${code} ${ctype}`;
    if (!this.compiled.has(key)) {
      const schema = op.responses[code].content[ctype].schema;
      this.compiled.set(key, this.ajv.compile(rebase(convert(schema), op.id)));
    }
    return this.compiled.get(key);
  }

  // -> { op: "POST /collections/{collection_name}/points/query" | null, spec, errors: [string] }
  check({ method, url, status, contentType, body }) {
    const op = this.match(method, url);
    if (!op) return { op: null, errors: [] };
    const name = `${op.method} ${op.template}`;
    const errors = [];
    const code = [String(status), `${String(status)[0]}XX`, 'default'].find((c) => op.responses[c]);
    if (!code) return { op: name, spec: op.spec, errors: [`status ${status} is not declared (declared: ${Object.keys(op.responses).join(', ')})`] };
    const declared = op.responses[code].content || {};
    const ctype = (contentType || '').split(';')[0].trim().toLowerCase();
    const types = Object.keys(declared);
    if (types.length === 0) {
      if (body.length) errors.push(`response ${code} declares no body, got ${body.length} bytes of ${ctype || 'no content type'}`);
      return { op: name, spec: op.spec, code, errors };
    }
    if (!types.includes(ctype)) {
      errors.push(`content type "${ctype}" is not declared for ${code} (declared: ${types.join(', ')})`);
      return { op: name, spec: op.spec, code, errors };
    }
    if (ctype !== 'application/json') return { op: name, spec: op.spec, code, errors };
    let json;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (e) {
      errors.push(`body is not JSON: ${e.message}`);
      return { op: name, spec: op.spec, code, errors };
    }
    for (const x of this.extensions) {
      if (x.op !== name) continue;
      const parts = x.pointer.split('/').filter(Boolean);
      let parent = null, obj = json, last = null;
      for (const p of parts) { parent = obj; last = p; obj = obj && typeof obj === 'object' ? obj[p] : undefined; }
      if (obj && typeof obj === 'object' && !Array.isArray(obj) && x.key in obj) {
        const copy = { ...obj };
        delete copy[x.key];
        if (parent) parent[last] = copy; else json = copy;
        const k = `${name} ${x.pointer}/${x.key}`;
        this.extensionHits.set(k, (this.extensionHits.get(k) || 0) + 1);
      }
    }
    const validate = this.schemaFor(op, code, ctype);
    if (!validate(json)) {
      for (const e of validate.errors.slice(0, 5)) {
        const extra = e.params && e.params.additionalProperty !== undefined ? ` "${e.params.additionalProperty}"`
          : e.params && e.params.allowedValues ? ` ${JSON.stringify(e.params.allowedValues)}` : '';
        errors.push(`${e.instancePath || '(root)'} ${e.message}${extra} (schema ${e.schemaPath})`);
      }
    }
    const schema = declared[ctype].schema;
    if (code === '200' && schema && schema.properties && schema.properties.result && json && typeof json === 'object') {
      if (!('result' in json)) errors.push('(root) the success envelope has no "result"');
      if (json.status !== 'ok') errors.push(`/status the success envelope's status is ${JSON.stringify(json.status)}, not "ok"`);
      if (typeof json.time !== 'number') errors.push('/time the success envelope has no numeric "time"');
    }
    return { op: name, spec: op.spec, code, errors };
  }
}

// An HTTP proxy on a free loopback port that forwards every request to `target` (a base URL),
// hands each complete response to onResponse({method, url, status, contentType, body}) and only
// then passes the response on, unchanged (so a test sees a response after it was checked). A
// failed upstream connection destroys the client's socket, as the server going away would.
export function startValidatingProxy(target, onResponse) {
  const t = new URL(target);
  const agent = new http.Agent({ keepAlive: false });
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers };
    delete headers.connection;
    delete headers['keep-alive'];
    let answered = false, responding = false;
    const up = http.request({ host: t.hostname, port: t.port, method: req.method, path: req.url, headers, agent }, (ur) => {
      responding = true;
      const chunks = [];
      ur.on('data', (c) => chunks.push(c));
      ur.on('error', () => { if (!answered) { answered = true; res.destroy(); } });
      ur.on('end', () => {
        if (answered) return;
        answered = true;
        if (!ur.complete) { res.destroy(); return; }
        const body = Buffer.concat(chunks);
        try {
          onResponse({ method: req.method, url: req.url, status: ur.statusCode, contentType: ur.headers['content-type'], body });
        } catch (e) {
          console.log(`!! response check failed to run: ${e.stack}`);
        }
        const out = { ...ur.headers };
        delete out['transfer-encoding'];
        delete out.connection;
        delete out['keep-alive'];
        out['content-length'] = String(body.length);
        res.writeHead(ur.statusCode, ur.statusMessage, out);
        res.end(body);
        // a server that answered before reading the whole body (a 400 for an oversized one):
        // drain the rest of the client's upload
        if (!req.complete) { req.unpipe(up); req.resume(); }
      });
    });
    up.on('error', () => {
      // an upload cut short by a server that has already started answering: its response decides
      if (answered || responding) return;
      answered = true;
      res.destroy();
    });
    req.pipe(up);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
      });
    });
  });
}
