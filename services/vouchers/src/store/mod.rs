//! SQL of vouchers, and nothing else: `terms` (by year, with each region's committed budget),
//! `vouchers` (the vouchers, their numbers, the audit of reads of their holders, the expiry
//! job's batches), `claims` (centers' claims and the statistics), `heard` (the read models of
//! centers' certificates and of the register of professions).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::terms::{Committed, RegionTerms, YearTerms};
use crate::domain::voucher::{Outcome, SickLeave, Status, Voucher};

/// The act a change rests on: the one shape of `nsk-errors`.
pub use nsk_errors::fields::Document as Basis;

mod claims;
mod heard;
mod terms;
mod vouchers;

pub use claims::*;
pub use heard::*;
pub use terms::*;
pub use vouchers::*;
