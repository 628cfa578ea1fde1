//! The sign-up saga: a chosen username is claimed before Cognito's SignUp,
//! so two sign-ups cannot both get it; bound to the new user once SignUp
//! succeeds; released when SignUp fails, so the name is free again.

use crate::domain::identity;
use crate::ports::pool::{PoolError, UserContext, UserPool};
use crate::ports::usernames::UsernameIndex;
use crate::ports::StoreError;

/// A sign-up that has passed the API's checks (address, name, password).
pub struct NewAccount<'a> {
    /// Normalised.
    pub email: &'a str,
    pub password: &'a str,
    pub name: &'a str,
    /// The name chosen at sign-up, if any, as the user wrote it.
    pub username: Option<&'a str>,
}

#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    #[error("the chosen username is taken")]
    UsernameTaken,
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The new user's `sub`, and whether its email is still to be confirmed.
pub async fn sign_up(
    pool: &dyn UserPool,
    usernames: &dyn UsernameIndex,
    account: &NewAccount<'_>,
    context: &UserContext,
) -> Result<(String, bool), SignUpError> {
    let key = account.username.map(identity::key);
    if let Some(key) = &key {
        if !usernames.claim(key, account.email).await? {
            return Err(SignUpError::UsernameTaken);
        }
    }
    let signed_up = pool
        .sign_up(
            account.email,
            account.password,
            account.name,
            account.username,
            context,
        )
        .await;
    match (signed_up, &key) {
        (Ok(done), Some(key)) => {
            usernames.bind(key, &done.0).await?;
            Ok(done)
        }
        (Ok(done), None) => Ok(done),
        (Err(err), Some(key)) => {
            usernames.release(key, account.email).await?;
            Err(err.into())
        }
        (Err(err), None) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{InMemoryPool, InMemoryUsernames};

    fn pool() -> InMemoryPool {
        InMemoryPool::new(Box::new(|grant| format!("token-{}", grant.sub)))
    }

    fn account<'a>(email: &'a str, username: Option<&'a str>) -> NewAccount<'a> {
        NewAccount {
            email,
            password: "violet-Quasar-harbor-71!",
            name: "Ada",
            username,
        }
    }

    #[tokio::test]
    async fn the_chosen_name_is_bound_to_the_new_user() {
        let (pool, names) = (pool(), InMemoryUsernames::default());
        let context = UserContext::default();
        let (sub, confirm) = sign_up(
            &pool,
            &names,
            &account("ada@example.com", Some("Ada.L")),
            &context,
        )
        .await
        .unwrap();
        assert!(confirm);
        assert_eq!(names.lookup("ada.l").await.unwrap(), Some(sub));
        let taken = sign_up(
            &pool,
            &names,
            &account("eve@example.com", Some("ada.l")),
            &context,
        )
        .await;
        assert!(
            matches!(taken, Err(SignUpError::UsernameTaken)),
            "{taken:?}"
        );
        assert!(
            !pool.has_user("eve@example.com"),
            "a taken name reaches no SignUp"
        );
    }

    #[tokio::test]
    async fn a_refused_sign_up_frees_the_name_it_claimed() {
        let (pool, names) = (pool(), InMemoryUsernames::default());
        let context = UserContext::default();
        sign_up(&pool, &names, &account("ada@example.com", None), &context)
            .await
            .unwrap();
        let again = sign_up(
            &pool,
            &names,
            &account("ada@example.com", Some("countess")),
            &context,
        )
        .await;
        assert!(
            matches!(again, Err(SignUpError::Pool(PoolError::AccountExists))),
            "{again:?}"
        );
        assert!(names.is_empty(), "the claim was released");
        sign_up(
            &pool,
            &names,
            &account("eve@example.com", Some("countess")),
            &context,
        )
        .await
        .unwrap();
    }
}
