//! Every route, each listed once with its OpenAPI description: the router
//! and `api/openapi.yaml` come from this list.

pub mod account;
pub mod admin;
pub mod auth;
pub mod data;
pub mod devices;
pub mod email;
pub mod passkeys;
pub mod recovery;

use crate::ports::notices::{SecurityChange, SecurityNotice};
use crate::state::SharedState;
use axum::routing::MethodRouter;
use axum::Json;
use axum::Router;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::{routes, PathItemExt};

/// Security notices a user may be sent in an hour; past it they are
/// logged, so a loop of changes cannot spend the stack's SES quota.
pub const NOTICES_PER_HOUR: u64 = 10;

/// Tells the owner of the account `user_id`, at `to`, of a change to how the
/// account is proven, made from `address`. The change is made by now, so a
/// notice that cannot be sent is logged, never answered as an error.
pub(crate) async fn tell_owner(
    state: &SharedState,
    user_id: &str,
    to: Option<&str>,
    change: SecurityChange,
    address: &str,
) {
    let Some(to) = to.filter(|to| !to.is_empty()) else {
        tracing::warn!(
            user_id,
            ?change,
            "no address to send the security notice to"
        );
        return;
    };
    let now = crate::domain::throttle::now_secs();
    let hour = now / 3600;
    let budget = format!("security-notices#{user_id}#{hour}");
    match state.counters.increment(&budget, (hour + 2) * 3600).await {
        Ok(sent) if sent > NOTICES_PER_HOUR => {
            tracing::info!(user_id, ?change, "security notice budget spent; not mailed");
            return;
        }
        Ok(_) => {}
        // Better a notice too many than a change untold.
        Err(err) => tracing::warn!(error = %crate::ports::chain(&err), "notice budget unread"),
    }
    let when = infra::profile::now_rfc3339()
        .replacen('T', " ", 1)
        .replace('Z', " UTC");
    let notice = SecurityNotice {
        change,
        when,
        address: address.to_owned(),
    };
    if let Err(err) = state.notices.security_notice(to, &notice).await {
        tracing::warn!(user_id, ?change, error = %crate::ports::chain(&err), "security notice not sent");
    }
}

/// The caller's email, for a notice sent beside the action: from GetUser,
/// else (a throttled or failed call must not leave a change untold) from
/// AdminGetUser; `None` when neither can say.
pub(crate) async fn caller_email(
    state: &SharedState,
    caller: &crate::http::extract::Caller,
) -> Option<String> {
    if let Ok(attributes) = state.pool.get_user(&caller.token).await {
        if let Some(email) = attributes.get("email") {
            return Some(email.clone());
        }
    }
    state.pool.email_of(caller.username()).await.ok().flatten()
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: &'static str,
}

#[utoipa::path(get, path = "/api/health", tag = "health", security(()),
    summary = "Health check",
    responses((status = 200, body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Lists every route once and makes from the list both the routes Lambda
/// serves ([`serving`]: each handler's path and methods, which cost nothing)
/// and the described routes ([`described`], utoipa-axum) that the OpenAPI
/// document comes from. Building the descriptions takes about a millisecond,
/// so the cold start does not.
macro_rules! every_route {
    ($($module:ident :: $handler:ident),+ $(,)?) => {
        /// The routes, without their descriptions.
        pub fn serving() -> Router<SharedState> {
            let router = Router::new();
            $(
                let router = paste::paste! {
                    serve::<$module::[<__path_ $handler>], _, _>(router, $module::$handler)
                };
            )+
            router
        }

        /// The routes with their OpenAPI descriptions.
        pub fn described() -> OpenApiRouter<SharedState> {
            OpenApiRouter::new()
                $( .routes(routes!($module::$handler)) )+
        }
    };
}

every_route! {
    self::health,
    auth::sign_up,
    auth::confirm,
    auth::resend_code,
    auth::sign_in,
    auth::sign_in_mfa,
    auth::start_code_sign_in,
    auth::finish_code_sign_in,
    auth::start_passkey_sign_in,
    auth::finish_passkey_sign_in,
    auth::refresh,
    auth::sign_out,
    auth::forgot_password,
    auth::reset_password,
    auth::change_password,
    auth::mfa_setup,
    auth::mfa_verify,
    auth::mfa_disable,
    auth::mfa_get,
    auth::mfa_email,
    auth::mfa_preferred,
    recovery::make,
    recovery::left,
    recovery::sign_in,
    passkeys::list,
    passkeys::options,
    passkeys::register,
    passkeys::delete,
    devices::list_devices,
    devices::remember,
    devices::forget,
    account::get,
    account::update,
    account::delete,
    account::link,
    email::start,
    email::verify,
    data::list,
    data::create,
    data::get,
    data::delete,
    admin::list_users,
    admin::add_to_group,
    admin::remove_from_group,
    admin::disable,
    admin::enable,
}

fn serve<Description, Handler, Arguments>(
    router: Router<SharedState>,
    handler: Handler,
) -> Router<SharedState>
where
    Description: utoipa::Path,
    Handler: axum::handler::Handler<Arguments, SharedState>,
    Arguments: 'static,
{
    let methods = Description::methods()
        .iter()
        .fold(MethodRouter::new(), |methods, method| {
            methods.on(method.to_method_filter(), handler.clone())
        });
    router.route(&Description::path(), methods)
}
