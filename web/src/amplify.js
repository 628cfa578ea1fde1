// Amplify configured from the stack's amplify_outputs.json, shared by the
// pages. Local stacks run on an emulator: Amplify talks to it instead of AWS.
import { Amplify } from 'aws-amplify';

export const outputs = await (await fetch('/amplify_outputs.json')).json();
Amplify.configure(outputs);

/// The emulator's address on a local stack, else undefined.
export const endpoint = outputs.custom?.aws_endpoint_url;
if (endpoint) {
  const config = Amplify.getConfig();
  Amplify.configure({
    ...config,
    Auth: {
      Cognito: {
        ...config.Auth.Cognito,
        userPoolEndpoint: endpoint,
        identityPoolEndpoint: endpoint,
      },
    },
  });
}
