/**
 * ssh2, loaded when a function first needs it rather than with the module that uses it: ssh2 is
 * Node-only while some of its users reach the browser with a form (the connection form's key
 * check), and the CLI loads those modules for every command, where ssh2 cost about 30 ms of each
 * start. webpackIgnore: the console's build leaves the import to Node.
 */
export const loadSsh2 = async () => (await import(/* webpackIgnore: true */ "ssh2")).default;
