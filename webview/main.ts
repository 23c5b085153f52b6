// DAG panel webview entry point: wires the app to VS Code's webview API.
import { DagApp, type VsCodeApi } from './dagApp';

declare function acquireVsCodeApi(): VsCodeApi;

const root = document.getElementById('app');
if (root) new DagApp(root, acquireVsCodeApi()).start();
