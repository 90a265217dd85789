// Loaded into the gateway and console children (node --import). If the supervisor dies without
// stopping them (SIGKILL, a crash), they are re-parented; then they stop too, gracefully, instead
// of holding their ports against the next `npm start`.
const supervisor = process.ppid;
setInterval(() => {
  if (process.ppid !== supervisor) process.kill(process.pid, "SIGTERM");
}, 1000).unref();
