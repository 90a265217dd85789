/**
 * A healthy client kept busy while a fuzzer runs: `step(i)` does one round trip and returns a
 * failure message when the answer is wrong (a throw counts as one too); rounds are `pauseMs` apart.
 * `stop()` ends the loop after the round in flight and says how many rounds ran and what failed.
 */
export function startHealthyLoop(step: (i: number) => Promise<string | void>, pauseMs: number) {
  let running = true;
  let runs = 0;
  const failures: string[] = [];
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const failure = await step(i).catch((e: Error) => `round ${i}: ${e.message}`);
      if (failure) failures.push(failure);
      runs++;
      await new Promise((res) => setTimeout(res, pauseMs));
    }
  })();
  return {
    async stop(): Promise<{ runs: number; failures: string[] }> {
      running = false;
      await loop;
      return { runs, failures };
    },
  };
}
