// Finds tree-sitter's runtime and the Python grammar: beside the bundle (dist/), or in node_modules.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface WasmFiles {
  /** Directory holding `tree-sitter.wasm`. */
  runtimeDir: string;
  grammar: string;
}

export const RUNTIME_WASM = 'tree-sitter.wasm';
export const PYTHON_WASM = 'tree-sitter-python.wasm';

export function locateWasmFiles(wasmDir?: string, moduleDir: string = __dirname): WasmFiles {
  if (wasmDir) {
    const files = { runtimeDir: wasmDir, grammar: join(wasmDir, PYTHON_WASM) };
    for (const f of [join(wasmDir, RUNTIME_WASM), files.grammar]) {
      if (!existsSync(f)) throw new Error(`Cannot find ${f}: the wasm directory given to the flow analyzer must hold ${RUNTIME_WASM} and ${PYTHON_WASM}.`);
    }
    return files;
  }
  if (existsSync(join(moduleDir, RUNTIME_WASM)) && existsSync(join(moduleDir, PYTHON_WASM))) {
    return { runtimeDir: moduleDir, grammar: join(moduleDir, PYTHON_WASM) };
  }
  try {
    const runtime = require.resolve('web-tree-sitter/tree-sitter.wasm');
    const grammar = join(dirname(require.resolve('tree-sitter-python/package.json')), PYTHON_WASM);
    if (existsSync(runtime) && existsSync(grammar)) return { runtimeDir: dirname(runtime), grammar };
  } catch {
    // Fall through to the error below, which says where we looked.
  }
  throw new Error(`Cannot find ${RUNTIME_WASM} and ${PYTHON_WASM} beside ${moduleDir} or in node_modules (web-tree-sitter, tree-sitter-python). Run 'npm run build' or 'npm install'.`);
}
