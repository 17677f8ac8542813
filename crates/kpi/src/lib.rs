//! Department KPIs computed from problem events.
