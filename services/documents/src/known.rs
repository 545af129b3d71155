//! The read models a registration rests on, held in memory between their changes: every
//! version of a profession the register published, and each center's record from
//! accreditation. Each was read together with the stamp its read model stood at
//! (`read_model_stamps`, raised by every statement that changes it); a registration judged on
//! what memory holds writes its document only if those stamps still hold, in the statement that
//! writes it (`store::register_document`). So memory never decides on what the database has
//! moved past: a registration that finds it behind is judged again on a fresh read, and a
//! refusal is given only on a fresh read.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use nsk_errors::ApiError;
use nsk_kz::CenterNumber;
use sqlx::PgPool;
use uuid::Uuid;

use crate::convert::profession_on_day;
use crate::domain::issuance::ProfessionOnDay;
use crate::store::{self, CenterRecord};

/// Entries kept of each read model; past it, memory starts again. A profession's versions
/// and a center's record take a few kilobytes each: at most tens of MiB for both.
const CAPACITY: usize = 4_096;

/// Entries of one read model, all read at one stamp or later.
struct Memo<K, V> {
    inner: Mutex<Entries<K, V>>,
}

struct Entries<K, V> {
    stamp: i64,
    map: HashMap<K, Arc<V>>,
}

impl<K: Eq + Hash, V> Memo<K, V> {
    fn new() -> Self {
        Self {
            inner: Mutex::new(Entries {
                stamp: i64::MIN,
                map: HashMap::new(),
            }),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Entries<K, V>> {
        // A panic while the lock was held left a map that is still a map.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What memory holds for `key`, with the stamp memory stands at.
    fn get(&self, key: &K) -> Option<(i64, Arc<V>)> {
        let entries = self.entries();
        entries.map.get(key).map(|v| (entries.stamp, Arc::clone(v)))
    }

    /// Keeps `value` read at `stamp`. A later stamp than memory's means the read model
    /// changed since the rest was read: memory starts again from this entry. An earlier one
    /// (a read that raced a change) is not kept.
    fn keep(&self, key: K, stamp: i64, value: V) -> Arc<V> {
        let value = Arc::new(value);
        let mut entries = self.entries();
        if stamp > entries.stamp || entries.map.len() >= CAPACITY {
            entries.map.clear();
            entries.stamp = entries.stamp.max(stamp);
        }
        if stamp == entries.stamp {
            entries.map.insert(key, Arc::clone(&value));
        }
        value
    }
}

/// One version of a profession as the registry received it.
pub struct ProfessionVersion {
    pub version: i64,
    /// The order it was received in.
    pub received: i64,
    pub effective_from: NaiveDate,
    /// The version as issuance judges it.
    pub on_day: ProfessionOnDay,
    /// Its name in Russian (Appendix 2).
    pub name: String,
}

/// Every version the registry holds of one profession.
pub struct ProfessionHistory {
    versions: Vec<ProfessionVersion>,
}

impl ProfessionHistory {
    /// The profession as the register stood on `day`: the latest version in effect then (the
    /// highest version, then the last received, as `store::profession_as_of` reads it).
    pub fn on(&self, day: NaiveDate) -> Option<&ProfessionVersion> {
        self.versions
            .iter()
            .filter(|v| v.effective_from <= day)
            .max_by_key(|v| (v.version, v.received))
    }
}

/// What a registration rests on, and the stamps it was read at.
pub struct Facts {
    pub professions_stamp: i64,
    pub profession: Arc<ProfessionHistory>,
    pub centers_stamp: i64,
    pub center: Arc<CenterRecord>,
}

/// The registry's read models in memory.
pub struct Known {
    professions: Memo<Uuid, ProfessionHistory>,
    centers: Memo<CenterNumber, CenterRecord>,
}

impl Default for Known {
    fn default() -> Self {
        Self::new()
    }
}

impl Known {
    pub fn new() -> Self {
        Self {
            professions: Memo::new(),
            centers: Memo::new(),
        }
    }

    /// The facts on `profession` and `center`: from memory, or (`fresh`, or not held) read
    /// from the database, both at once, and kept.
    pub async fn facts(
        &self,
        pool: &PgPool,
        profession: Uuid,
        center: CenterNumber,
        fresh: bool,
    ) -> Result<Facts, ApiError> {
        let held = if fresh {
            (None, None)
        } else {
            (self.professions.get(&profession), self.centers.get(&center))
        };
        let (profession, center) = tokio::try_join!(
            async {
                match held.0 {
                    Some(found) => Ok(found),
                    None => self.read_profession(pool, profession).await,
                }
            },
            async {
                match held.1 {
                    Some(found) => Ok(found),
                    None => {
                        let record = store::center_record(pool, center).await?;
                        let stamp = record.stamp;
                        Ok((stamp, self.centers.keep(center, stamp, record)))
                    }
                }
            },
        )?;
        Ok(Facts {
            professions_stamp: profession.0,
            profession: profession.1,
            centers_stamp: center.0,
            center: center.1,
        })
    }

    async fn read_profession(
        &self,
        pool: &PgPool,
        id: Uuid,
    ) -> Result<(i64, Arc<ProfessionHistory>), ApiError> {
        let (stamp, rows) = store::profession_versions(pool, id).await?;
        let versions = rows
            .iter()
            .map(|(received, row)| {
                let (on_day, name) = profession_on_day(row)?;
                Ok(ProfessionVersion {
                    version: row.version,
                    received: *received,
                    effective_from: row.effective_from,
                    on_day,
                    name,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let history = ProfessionHistory { versions };
        Ok((stamp, self.professions.keep(id, stamp, history)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_later_stamp_empties_memory_and_an_earlier_one_is_not_kept() {
        let memo: Memo<u32, &str> = Memo::new();
        memo.keep(1, 5, "one at 5");
        memo.keep(2, 5, "two at 5");
        assert_eq!(memo.get(&1).map(|(s, v)| (s, *v)), Some((5, "one at 5")));
        // The read model moved: what was read at 5 is not kept beside what is read at 6.
        memo.keep(2, 6, "two at 6");
        assert!(memo.get(&1).is_none());
        assert_eq!(memo.get(&2).map(|(s, v)| (s, *v)), Some((6, "two at 6")));
        // A read that raced the change is answered but not kept.
        let raced = memo.keep(1, 5, "one at 5 again");
        assert_eq!(*raced, "one at 5 again");
        assert!(memo.get(&1).is_none());
    }

    #[test]
    fn memory_starts_again_past_its_capacity() {
        let memo: Memo<usize, usize> = Memo::new();
        for i in 0..CAPACITY {
            memo.keep(i, 1, i);
        }
        assert!(memo.get(&0).is_some());
        memo.keep(CAPACITY, 1, CAPACITY);
        assert!(memo.get(&0).is_none());
        assert!(memo.get(&CAPACITY).is_some());
    }

    fn on_day(validity_months: u32) -> ProfessionOnDay {
        ProfessionOnDay {
            active: true,
            oked: "25110".into(),
            nkz: "7212-0-011".into(),
            nqf_levels: vec![3, 4],
            validity_months,
            separate_skills_allowed: false,
            separate_skills: Vec::new(),
        }
    }

    #[test]
    fn the_profession_on_a_day_is_the_highest_version_in_effect_then() {
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let v = |version, received, effective_from, months, name: &str| ProfessionVersion {
            version,
            received,
            effective_from,
            on_day: on_day(months),
            name: name.into(),
        };
        let history = ProfessionHistory {
            versions: vec![
                v(1, 10, d(1, 31), 60, "v1"),
                // Version 3 arrived before version 2 and takes effect later.
                v(3, 11, d(3, 31), 36, "v3"),
                v(2, 12, d(2, 28), 48, "v2"),
                // Version 2 again, received later: the later one counts.
                v(2, 13, d(2, 28), 24, "v2 again"),
            ],
        };
        let name = |day| history.on(day).map(|v| v.name.as_str());
        assert_eq!(name(d(1, 30)), None);
        assert_eq!(name(d(1, 31)), Some("v1"));
        assert_eq!(name(d(3, 30)), Some("v2 again"));
        assert_eq!(name(d(3, 31)), Some("v3"));
    }
}
