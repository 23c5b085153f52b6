// Metaflow Client API spellings, for "Copy Client API snippet".

export function taskSnippet(taskPathspec: string): string {
  return `Task('${taskPathspec}')`;
}

export function artifactSnippet(taskPathspec: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `Task('${taskPathspec}').data.${name}` : `Task('${taskPathspec}')['${name}'].data`;
}

export function runSnippet(runPathspec: string): string {
  return `Run('${runPathspec}')`;
}

export function stepSnippet(stepPathspec: string): string {
  return `Step('${stepPathspec}')`;
}
