// Amplify UI's Authenticator, as a team drops it into its own app: sign-in
// (password, a mailed code or a passkey) and MFA go straight to Cognito; the
// API takes sign-up, because the pool's pre sign-up trigger admits only the
// API's client, which scores the password with zxcvbn first, and both steps
// of a reset: it scores the new password the same way, and it mails its own
// code to a user with email MFA, whom Cognito's ForgotPassword cannot reach.
import { Authenticator } from '@aws-amplify/ui-react';
import '@aws-amplify/ui-react/styles.css';
import { signInWithRedirect } from 'aws-amplify/auth';
import { createElement as h, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { outputs } from './amplify.js';
import { apiClient } from './api.js';

// Signed out: no token; the device data threat protection uses goes along
// (x-user-context-data), as with every other call of the web client.
const api = apiClient(outputs.custom?.api_url ?? '', async () => null, {
  userPoolId: outputs.auth.user_pool_id,
  clientId: outputs.custom?.api_client_id,
});

// The API's answer, or an error carrying its message and zxcvbn's feedback.
async function callApi(path, body) {
  const reply = await api.call('POST', path, body, { anonymous: true });
  if (!reply.ok) {
    const feedback = reply.error?.feedback;
    throw new Error(
      [reply.error?.message, feedback?.warning, ...(feedback?.suggestions ?? [])].filter(Boolean).join(' '),
    );
  }
  return reply.body ?? {};
}

export const services = {
  async handleSignUp({ username, password, options }) {
    if (!password) {
      throw new Error('Create the account with a password; then sign in with an emailed code or a passkey.');
    }
    const body = await callApi('/api/auth/signup', {
      email: username,
      password,
      name: options?.userAttributes?.name ?? '',
    });
    return {
      isSignUpComplete: false,
      userId: body.user_sub,
      nextStep: {
        signUpStep: 'CONFIRM_SIGN_UP',
        codeDeliveryDetails: { deliveryMedium: 'EMAIL', destination: username, attributeName: 'email' },
      },
    };
  },
  async handleForgotPassword({ username }) {
    await callApi('/api/auth/forgot-password', { email: username });
    return {
      isPasswordReset: false,
      nextStep: {
        resetPasswordStep: 'CONFIRM_RESET_PASSWORD_WITH_CODE',
        codeDeliveryDetails: { deliveryMedium: 'EMAIL', destination: username, attributeName: 'email' },
      },
    };
  },
  async handleForgotPasswordSubmit({ username, confirmationCode, newPassword }) {
    await callApi('/api/auth/reset-password', {
      email: username,
      code: confirmationCode.trim(),
      new_password: newPassword,
    });
  },
};

// The social providers the stack configures (with a managed login domain):
// Amplify's names, and generic OIDC providers by their pool names.
const SOCIAL = { GOOGLE: 'Google', FACEBOOK: 'Facebook', LOGIN_WITH_AMAZON: 'Amazon', SIGN_IN_WITH_APPLE: 'Apple' };
const socialProviders = [
  ...(outputs.auth.oauth?.identity_providers ?? []).map((name) => [SOCIAL[name], SOCIAL[name]]),
  ...(outputs.auth.oauth ? outputs.custom?.oidc_providers ?? [] : []).map((name) => [name, { custom: name }]),
].filter(([label]) => label);

function SocialButtons() {
  if (socialProviders.length === 0) return null;
  return h(
    'div',
    { className: 'social' },
    socialProviders.map(([label, provider]) =>
      h(
        'button',
        {
          key: label,
          type: 'button',
          className: 'amplify-button amplify-button--fullwidth',
          onClick: () => signInWithRedirect({ provider }),
        },
        `Continue with ${label}`,
      ),
    ),
  );
}

export const authenticatorProps = {
  services,
  loginMechanisms: ['email'],
  signUpAttributes: ['name'],
  // A password first; "other sign-in options" offer the code and the passkey.
  passwordless: { preferredAuthMethod: 'PASSWORD', passkeyRegistrationPrompts: false },
  components: { SignIn: { Header: SocialButtons } },
};

// Renders the Authenticator into `element`; `onSignedIn(user)` runs on each sign-in.
export function mountSignIn(element, onSignedIn) {
  function SignedIn({ user }) {
    useEffect(() => {
      onSignedIn(user);
    }, [user?.userId]);
    return null;
  }
  createRoot(element).render(h(Authenticator, authenticatorProps, ({ user }) => h(SignedIn, { user })));
}
