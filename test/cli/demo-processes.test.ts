import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { cleanEnv } from '../helpers/clean-env.js';

/** The built package, as a user runs it (npm test builds it first): no tsx in the processes. */
const BIN = fileURLToPath(new URL('../../bin/webpig.js', import.meta.url));

interface DemoProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  sandboxUrl: string;
  sandboxPid: number;
  exited: Promise<number | null>;
  output: () => string;
}

/** `webpig demo --no-traffic` in an empty directory; resolves once its banner is printed. */
async function startDemo(): Promise<DemoProcess> {
  const cwd = mkdtempSync(path.join(tmpdir(), 'webpig-demo-processes-'));
  dirs.push(cwd);
  const child = spawn(process.execPath, [BIN, 'demo', '--port', '0', '--no-traffic'], {
    cwd,
    env: cleanEnv({}),
    // Its own process group, as a terminal gives it: Ctrl-C is sent to the whole group below.
    detached: true,
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const banner = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo printed no banner in 60 s:\n${out}`)), 60_000);
    const check = () => {
      const match =
        /Web Pig dashboard:\s+(http:\/\/\S+?)\/?\s[\s\S]*Sandbox services:\s+(http:\/\/\S+?)\/sandbox \(their own process, pid (\d+)[\s\S]*Ctrl-C stops\./.exec(
          out,
        );
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    };
    child.stdout.on('data', check);
    void exited.then((code) => reject(new Error(`demo exited early (${code}):\n${out}`)));
  });
  return { child, url: banner[1]!, sandboxUrl: banner[2]!, sandboxPid: Number(banner[3]), exited, output: () => out };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (isRunning(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      assert.fail(`${what}: process ${pid} is still running 20 s later`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('webpig demo: the sandbox in its own process', () => {
  it('runs the sandbox in another process that serves the same records; a signal to the whole process group stops both cleanly', async () => {
    const demo = await startDemo();
    try {
      assert.notEqual(demo.sandboxPid, demo.child.pid);
      assert.ok(isRunning(demo.sandboxPid));
      // A record made through the sandbox process is listed by the demo's server (one database).
      const made = await fetch(`${demo.sandboxUrl}/sandbox/_faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'callbell', operation: 'send_message', mode: 'error' }),
      });
      assert.equal(made.status, 201);
      const listed = (await (await fetch(`${demo.url}/sandbox/_faults`)).json()) as { items: Array<{ operation: string }> };
      assert.deepEqual(
        listed.items.map((f) => f.operation),
        ['send_message'],
      );
    } finally {
      // What Ctrl-C or a service manager does: the signal to every process of the group, the
      // sandbox's too (SIGTERM: the test runner's children may inherit SIGINT ignored).
      process.kill(-demo.child.pid!, 'SIGTERM');
    }
    assert.equal(await demo.exited, 0, demo.output());
    await waitUntilGone(demo.sandboxPid, 'after SIGTERM to the group');
    assert.match(demo.output(), /webpig demo stopped/);
  });

  it('a crash of the sandbox process stops the demo with a message naming it (exit code 1)', { timeout: 60_000 }, async () => {
    const demo = await startDemo();
    process.kill(demo.sandboxPid, 'SIGKILL');
    assert.equal(await demo.exited, 1, demo.output());
    assert.match(
      demo.output(),
      new RegExp(
        `webpig demo: the demo's sandbox process \\(pid ${demo.sandboxPid}\\) stopped unexpectedly \\(killed by SIGKILL\\); stopping the demo`,
      ),
    );
  });

  it('a SIGKILL of the demo leaves no sandbox process behind', async () => {
    const demo = await startDemo();
    demo.child.kill('SIGKILL');
    await demo.exited;
    await waitUntilGone(demo.sandboxPid, 'after the demo was killed');
  });
});
