//! Enterprises, unified social credit codes, industries, size classes, facts, departments and routing: the pure registry domain.
