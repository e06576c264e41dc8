/** @module Child processes a test starts: SIGKILLed if this process exits first, and a kill that waits. */

const live = new Set<Bun.Subprocess>();
let hooked = false;

/** Tracks `p` until it exits; every tracked child is SIGKILLed when this process exits. */
export function killOnExit(p: Bun.Subprocess): void {
  if (!hooked) {
    hooked = true;
    // `exit` handlers must be synchronous: SIGKILL is all that still works here.
    process.on("exit", () => {
      for (const c of live) c.kill("SIGKILL");
    });
  }
  live.add(p);
  void p.exited.then(() => live.delete(p));
}

/** SIGKILL (a crash, as a test wants it) and wait for the exit. */
export async function killNow(p: Bun.Subprocess | undefined): Promise<void> {
  if (!p) return;
  p.kill("SIGKILL");
  await p.exited;
}
