//! The reader's language: `?lang=en` (remembered in the `lang` cookie), else the cookie, else
//! Simplified Chinese. `Accept-Language` is deliberately ignored: the interface is Chinese
//! first, and English is a choice the reader makes.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum_extra::extract::cookie::CookieJar;
use i18n::{Lang, Message};

pub const LANG_COOKIE: &str = "lang";

/// The language asked for in the query string (`lang=en`), if any.
pub fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?.split('&').find_map(|kv| kv.strip_prefix("lang=")).and_then(Lang::parse)
}

/// The language of a request.
pub fn lang_of(headers: &HeaderMap, query: Option<&str>) -> Lang {
    query_lang(query)
        .or_else(|| CookieJar::from_headers(headers).get(LANG_COOKIE).and_then(|c| Lang::parse(c.value())))
        .unwrap_or_default()
}

/// Extractor of the reader's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(lang_of(&parts.headers, parts.uri.query())))
    }
}

/// Renders UI labels (`ui.*` keys of this crate's catalog) in one language; templates call
/// `tr.t("ui.nav.home")`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn t(&self, key: &'static str) -> String {
        crate::catalog().render(&Message::new(key), self.0)
    }

    /// A label with one argument.
    pub fn t1(&self, key: &'static str, name: &'static str, value: &dyn std::fmt::Display) -> String {
        crate::catalog().render(&Message::new(key).arg(name, value), self.0)
    }

    pub fn is_en(&self) -> bool {
        self.0 == Lang::En
    }

    /// `zh-CN` or `en`, for `<html lang>`.
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// Picks between a Chinese and an English text (data that carries both, e.g. departments).
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.is_en() { en } else { zh }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_beats_cookie_and_chinese_is_the_default() {
        let mut h = HeaderMap::new();
        assert_eq!(lang_of(&h, None), Lang::Zh);
        h.insert("cookie", "a=b; lang=en".parse().unwrap());
        assert_eq!(lang_of(&h, None), Lang::En);
        assert_eq!(lang_of(&h, Some("q=1&lang=zh-CN")), Lang::Zh);
        assert_eq!(lang_of(&HeaderMap::new(), Some("lang=fr")), Lang::Zh);
    }
}
