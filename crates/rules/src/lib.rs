//! The policy rule language: parser, type checker, three-valued evaluator, batch engine.
