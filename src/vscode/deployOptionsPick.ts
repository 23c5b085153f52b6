// "Deploy options…": before a deploy, a QuickPick whose first item deploys with the options remembered for
// this flow (Metaflow's defaults the first time); the other items change one option each (an input box
// checked as the user types) or go back to the defaults. What was deployed with is remembered per flow in
// the workspace state, as the run form remembers parameters.
import * as vscode from 'vscode';
import type { FlowInfo } from '../flow/types';
import {
  DEPLOY_OPTION_FIELDS,
  DEPLOY_OPTION_FIELDS_OF,
  type DeployKind,
  type DeployOptionField,
  type DeployOptionValues,
  deployOptionsKey,
  describeOption,
  onlyFieldsOf,
  optionText,
  readOptionText,
  summarizeOptions,
  validateOptionText,
} from './deployOptionsModel';

interface Item extends vscode.QuickPickItem {
  action: 'deploy' | 'defaults' | DeployOptionField;
}

export class DeployOptionsPicker {
  constructor(private readonly state: vscode.Memento) {}

  remembered(kind: DeployKind, flowFile: vscode.Uri, flow: FlowInfo): DeployOptionValues {
    return onlyFieldsOf(kind, this.state.get<DeployOptionValues>(deployOptionsKey(kind, flowFile.toString(), flow.name)));
  }

  async remember(kind: DeployKind, flowFile: vscode.Uri, flow: FlowInfo, values: DeployOptionValues): Promise<void> {
    await this.state.update(deployOptionsKey(kind, flowFile.toString(), flow.name), onlyFieldsOf(kind, values));
  }

  /** The options to deploy with, undefined when the user pressed Escape. `go` names the deploy action. */
  async pick(kind: DeployKind, flowFile: vscode.Uri, flow: FlowInfo, title: string, go: string): Promise<DeployOptionValues | undefined> {
    let values = this.remembered(kind, flowFile, flow);
    for (;;) {
      const items: Item[] = [
        { action: 'deploy', label: `$(rocket) ${go}`, description: summarizeOptions(kind, values), alwaysShow: true },
        { action: 'deploy', label: 'Deploy options', kind: vscode.QuickPickItemKind.Separator },
        ...DEPLOY_OPTION_FIELDS_OF[kind].map((field): Item => ({ action: field, label: `$(settings-edit) ${DEPLOY_OPTION_FIELDS[field].label}`, description: describeOption(field, values), detail: DEPLOY_OPTION_FIELDS[field].flag })),
        ...(summarizeOptions(kind, values) === summarizeOptions(kind, {}) ? [] : [{ action: 'defaults' as const, label: "$(discard) Use Metaflow's defaults", description: 'forget the options set for this flow' }]),
      ];
      const chosen = await vscode.window.showQuickPick(items, { title, placeHolder: `${go}, or change an option first`, ignoreFocusOut: true });
      if (!chosen) return undefined;
      if (chosen.action === 'deploy') {
        await this.remember(kind, flowFile, flow, values);
        return values;
      }
      if (chosen.action === 'defaults') {
        values = {};
        continue;
      }
      const field = chosen.action;
      const info = DEPLOY_OPTION_FIELDS[field];
      const typed = await vscode.window.showInputBox({
        title: `${title}: ${info.label}`,
        prompt: `${info.flag}${info.type === 'tags' ? ', separated by commas or spaces' : ''}${info.type === 'flag' ? ': yes or no' : ''} (empty: ${info.whenEmpty})`,
        value: optionText(field, values),
        ignoreFocusOut: true,
        validateInput: (raw) => validateOptionText(field, raw),
      });
      // Escape in the input box returns to the list without changing the option.
      if (typed === undefined) continue;
      values = onlyFieldsOf(kind, { ...values, [field]: readOptionText(field, typed) });
    }
  }
}
