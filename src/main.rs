//! The `huiqi` binary: the composition root. It runs the command-line front end (`cli`) and
//! gives it the web front end (`web`) to start for `huiqi serve` and `huiqi demo`; the two
//! front ends never depend on each other, and this file is the only place that knows both.

use std::process::ExitCode;

/// mimalloc as the allocator: the judging of a grant run (explanations, bases) and the
/// import allocate and free millions of small strings, which glibc's allocator spent about
/// a sixth of a million-enterprise grant run on (docs/PERFORMANCE.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    cli::main(&Web)
}

/// The web front end as `cli::server::Server`.
struct Web;

impl cli::server::Server for Web {
    fn serve(
        &self,
        r: cli::server::ServeRequest,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send + '_>> {
        Box::pin(async move {
            let mut state = web::AppState::new(r.store, web_config(&r.settings))
                .with_library(r.library)
                .with_time_limits(r.time_limits);
            if let Some(dir) = r.search_dir {
                state = state.with_search_dir(dir);
            }
            if let Some(clock) = r.clock {
                state = state.with_clock(clock);
            }
            web::serve(r.listener, state).await?;
            Ok(())
        })
    }
}

/// The web layer's settings from the configuration.
fn web_config(settings: &cli::config::Settings) -> web::WebConfig {
    let r = &settings.rate_limits;
    let rate = |x: cli::config::RateSetting| web::limits::Rate { per_minute: x.per_minute, burst: x.burst };
    let header = settings.client_address_header.trim();
    web::WebConfig {
        secure_cookies: settings.secure_cookies,
        rate_limits: web::limits::RateLimits {
            enabled: r.enabled,
            per_address: rate(r.per_address),
            per_user: rate(r.per_user),
            writes_per_user: rate(r.writes_per_user),
        },
        client_address_header: (!header.is_empty()).then(|| header.to_ascii_lowercase()),
        ..web::WebConfig::default()
    }
}
