/**
 * Connection ids are `<instance>-<n>`: the id of the process serving the connection, then a
 * sequence in base 36. Unique across instances, and a distributed backend routes `sendTo()` to
 * the instance the prefix names.
 */
export function connectionIdOf(instance: string, sequence: number): string {
  return `${instance}-${sequence.toString(36)}`;
}

/** The instance serving a connection, from its id. */
export function instanceOfConnection(connectionId: string): string {
  return connectionId.slice(0, connectionId.lastIndexOf('-'));
}
