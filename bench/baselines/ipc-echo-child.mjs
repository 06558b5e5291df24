// The IPC floor: answers every message at once with a reply shaped like a
// sandbox host's answer to a no-op call. No isolate, no prov code.
process.on('message', (message) => {
  process.send({ type: 'reply', id: message.id, ok: true, value: { kind: 'result', result: { resultJson: 'null', changed: false } } });
});
process.on('disconnect', () => process.exit(0));
