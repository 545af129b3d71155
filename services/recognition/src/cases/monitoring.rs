//! Art. 25.3: the NCE's monitoring of one center's procedures over a period.

use nsk_errors::ApiError;
use nsk_identity::{Identity, Role};
use nsk_kz::CenterNumber;
use nsk_proto::nsk::recognition::v1 as pb;

use super::{date, Cases};
use crate::domain::procedure::Procedure;
use crate::store;

impl Cases {
    /// Art. 25.3: one center's period; a center sees its own.
    pub async fn monitoring(
        &self,
        identity: &Identity,
        request: &pb::GetCenterMonitoringRequest,
    ) -> Result<pb::CenterMonitoring, ApiError> {
        let center = CenterNumber::parse(&request.center_number)
            .map_err(|rule| ApiError::invalid_field("center_number", rule))?;
        if identity.has(Role::RecognitionCenter) && identity.own_center()? != center {
            return Err(ApiError::permission_denied(format!(
                "a center sees its own monitoring, not that of center {center}"
            )));
        }
        let today = self.today();
        let to = match request.to.trim() {
            "" => today,
            raw => date(raw, "to")?,
        };
        let from = match request.from.trim() {
            "" => to - chrono::Days::new(29),
            raw => date(raw, "from")?,
        };
        if from > to {
            return Err(ApiError::invalid_field(
                "from",
                format!("is after to ({to}): a period runs forward"),
            ));
        }
        let calendar = self.calendar.current();
        let stored = store::applications_of_center(&self.pool, center, to).await?;
        let procedures: Vec<&Procedure> = stored.iter().map(|s| &s.procedure).collect();
        let s = crate::domain::monitoring::summarize(&procedures, from, to, &calendar, today);
        let count = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        Ok(pb::CenterMonitoring {
            center_number: center.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            applications: count(s.applications),
            refused: count(s.refused),
            contracted: count(s.contracted),
            passed: count(s.passed),
            failed: count(s.failed),
            appeals: count(s.appeals),
            appeals_upheld: count(s.appeals_upheld),
            appeals_repeated: count(s.appeals_repeated),
            appeals_rejected: count(s.appeals_rejected),
            documents_issued: count(s.documents_issued),
            rescheduled: count(s.rescheduled),
            missed: s
                .missed
                .iter()
                .map(|(deadline, m)| pb::MissedDeadline {
                    deadline: deadline.code().into(),
                    rule: deadline.rule().into(),
                    times: count(m.times),
                    working_days: i32::try_from(m.working_days).unwrap_or(i32::MAX),
                })
                .collect(),
            overdue_now: count(s.overdue_now),
        })
    }
}
