// serve.mjs — starting `vitrine serve` for the JavaScript suites (e2e.mjs, console.mjs): the
// server is spawned on a free port (--port 0) and the promise resolves with its URL once it
// prints its "listening on http://HOST:PORT" line (30 s at most). proc.stderrText keeps all it
// printed, for failure messages.
import { spawn } from 'node:child_process';

export function spawnServe(bin, args, stdout = 'ignore') {
  const proc = spawn(bin, ['serve', ...args, '--port', '0'], { stdio: ['ignore', stdout, 'pipe'] });
  proc.stderrText = '';
  const listening = new Promise((resolve, reject) => {
    let url = null;
    const timer = setTimeout(() => reject(new Error(`server did not start: ${proc.stderrText}`)), 30000);
    proc.stderr.on('data', (d) => {
      proc.stderrText += d.toString();
      const m = proc.stderrText.match(/listening on http:\/\/([^ ]+):(\d+)/);
      if (m && !url) {
        clearTimeout(timer);
        url = `http://127.0.0.1:${m[2]}`;
        resolve(url);
      }
    });
    proc.on('exit', (code) => { if (!url) { clearTimeout(timer); reject(new Error(`server exited ${code}: ${proc.stderrText}`)); } });
  });
  return { proc, listening };
}
