//! The three lists: the problem state machine, deadlines and warnings.
