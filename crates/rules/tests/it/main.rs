//! The rules crate's integration tests as one binary (one link instead of three): the
//! evaluation paths agreeing (`agree`), almost eligible (`almost`), the language (`language`), kinds of benefit, periods
//! and `supersedes` (`kinds`), and the shipped policies with their cases (`policies`).

mod agree;
mod almost;
mod kinds;
mod language;
mod policies;
