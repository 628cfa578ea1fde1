// Amplify UI's Authenticator, dropped in as a team would in its own app:
// sign-in, MFA, passwordless codes, passkeys and password reset go straight
// to Cognito; sign-up goes through the API (its services hook), because the
// pool's pre sign-up trigger admits only the API's client, which scores the
// password with zxcvbn first.
import { Authenticator } from '@aws-amplify/ui-react';
import '@aws-amplify/ui-react/styles.css';
import { createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { outputs } from './amplify.js';

export const services = {
  async handleSignUp({ username, password, options }) {
    if (!password) {
      throw new Error('Create the account with a password; then sign in with an emailed code or a passkey.');
    }
    const reply = await fetch(`${outputs.custom?.api_url ?? ''}/api/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: username, password, name: options?.userAttributes?.name ?? '' }),
    });
    const body = await reply.json();
    if (!reply.ok) {
      const feedback = body.error?.feedback;
      throw new Error(
        [body.error?.message, feedback?.warning, ...(feedback?.suggestions ?? [])].filter(Boolean).join(' '),
      );
    }
    return {
      isSignUpComplete: false,
      userId: body.user_sub,
      nextStep: {
        signUpStep: 'CONFIRM_SIGN_UP',
        codeDeliveryDetails: { deliveryMedium: 'EMAIL', destination: username, attributeName: 'email' },
      },
    };
  },
};

function SignedIn({ signOut, user }) {
  return h(
    'main',
    { className: 'signed-in' },
    h('p', { id: 'signed-in-as' }, `Signed in as ${user?.signInDetails?.loginId ?? user?.username}`),
    h('p', null, h('a', { href: '/' }, 'Your account')),
    h('button', { type: 'button', onClick: signOut }, 'Sign out'),
  );
}

createRoot(document.getElementById('root')).render(
  h(Authenticator, { services, loginMechanisms: ['email'], signUpAttributes: ['name'] }, SignedIn),
);
