// When a deploy is refused because the deployment in the cluster was made by another user with their
// production token, the editor offers what the CLI's --authorize and --generate-new-token do instead of a
// dead end. The token typed is passed to the deploy only: it is never logged, and it is kept afterwards only
// where Metaflow keeps production tokens (the deploy stores the one its runs use).
import * as vscode from 'vscode';

export interface OwnershipRefusal {
  /** The deployed workflow's name. */
  name: string;
  namespace: string;
  /** Who made the deployment (its metaflow/owner annotation). */
  owner: string;
  /** The refusal as the deploy worded it. */
  message: string;
  /** Set when the token given before did not match. */
  retry: boolean;
}

export interface ArgoAuthorization {
  /** The deployment's production token (with or without `production:`). */
  token: string;
  /** Deploy under the next production token: the runs go to a new namespace. */
  generateNewToken?: boolean;
}

const AUTHORIZE = "Authorize with the deployment's token…";
const NEW_TOKEN = 'Deploy under a new production token…';

export async function askArgoAuthorization(refusal: OwnershipRefusal): Promise<ArgoAuthorization | undefined> {
  const detail = [
    `${refusal.retry ? 'The token given is not the one this deployment uses. ' : ''}${refusal.name} in namespace ${refusal.namespace} was deployed by ${refusal.owner}. Replacing it needs the production token it was deployed with: ask ${refusal.owner} for it (it is the part after "production:" in the namespace of its runs).`,
    `"${AUTHORIZE}" keeps that token: new runs appear beside the earlier ones in its production namespace.`,
    `"${NEW_TOKEN}" also needs that token, then moves the deployment to the next token: its runs appear in a new namespace production:<new token>, the earlier runs stay under the old one, and whoever deploys it next needs the new token, which is kept with your Metaflow configuration.`,
  ].join('\n\n');
  const choice = await vscode.window.showWarningMessage(`${refusal.name} belongs to ${refusal.owner}'s production token`, { modal: true, detail }, AUTHORIZE, NEW_TOKEN);
  if (choice === undefined) return undefined;
  const token = await vscode.window.showInputBox({
    title: `Production token of ${refusal.name}`,
    prompt: `The token ${refusal.owner} deployed ${refusal.name} with (production:… or the token alone). It is used for this deploy only and never logged.`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (raw) => (raw.trim() === '' ? 'Enter the production token.' : undefined),
  });
  if (token === undefined) return undefined;
  return { token: token.trim(), generateNewToken: choice === NEW_TOKEN };
}
