// Module customization hooks (node:module register()) for a child process: importing one of the
// packages named in `forbidden` fails, naming the importer. Proves a code path never imports it.
let forbidden = [];

export function initialize(data) {
  forbidden = data.forbidden;
}

export async function resolve(specifier, context, nextResolve) {
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  if (forbidden.includes(name))
    throw new Error(`forbidden import of ${specifier} from ${context.parentURL}`);
  return nextResolve(specifier, context);
}
