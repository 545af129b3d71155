//! The gRPC face of vouchers: who may call, then a case or a read, converted.

use nsk_db::requests::RequestKey;
use nsk_errors::ApiError;
use nsk_events::Outbox;
use nsk_identity::{Role, TokenVerifier};
use nsk_proto::google::api::HttpBody;
use nsk_proto::nsk::vouchers::v1 as pb;
use nsk_proto::nsk::vouchers::v1::voucher_service_server::VoucherService;
use prost::Message as _;
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::cases;
use crate::convert::{
    check_to_proto, claim_csv_line, claim_to_proto, status_codes, terms_to_proto, voucher_to_proto,
    CLAIMS_CSV_HEADER,
};
use crate::store::{self, VoucherFilter};

const DEFAULT_PAGE_SIZE: i64 = 50;
const MAX_PAGE_SIZE: i32 = 500;

pub struct VouchersApi {
    pool: PgPool,
    outbox: Outbox,
    verifier: TokenVerifier,
}

impl VouchersApi {
    pub fn new(pool: PgPool, outbox: Outbox, verifier: TokenVerifier) -> Self {
        Self {
            pool,
            outbox,
            verifier,
        }
    }
}

fn today() -> chrono::NaiveDate {
    nsk_calendar::today()
}

fn page_size(raw: i32) -> Result<i64, ApiError> {
    match raw {
        0 => Ok(DEFAULT_PAGE_SIZE),
        n if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(i64::from(n)),
        _ => Err(ApiError::invalid_field(
            "page_size",
            "must be between 1 and 500",
        )),
    }
}

/// The region a list is for: an office's own (whatever it asks for another, refused), or the
/// one asked, or none.
fn region_asked(
    identity: &nsk_identity::Identity,
    asked: &str,
) -> Result<Option<String>, ApiError> {
    let office = identity.has(Role::EmploymentOffice)
        && !identity.has(Role::AuthorizedBodyAdmin)
        && !identity.has(Role::Auditor);
    match (asked.trim(), office) {
        ("", true) => Ok(identity.region.clone()),
        ("", false) => Ok(None),
        (asked, _) => {
            cases::check_office_region(identity, asked)?;
            Ok(Some(asked.to_string()))
        }
    }
}

/// Those who read vouchers with their holders: the authorized body, auditors, offices (their
/// region).
const READERS: [Role; 3] = [
    Role::AuthorizedBodyAdmin,
    Role::Auditor,
    Role::EmploymentOffice,
];

/// Who reads one voucher: the officials, and its holder.
const HOLDER_READERS: [Role; 4] = [
    Role::AuthorizedBodyAdmin,
    Role::Auditor,
    Role::EmploymentOffice,
    Role::Candidate,
];

/// The list `identity` asked for, scoped to what it may see: an office its own region, a
/// center the vouchers it redeemed (and used), a candidate their own, the authorized body and
/// auditors any.
fn voucher_filter(
    identity: &nsk_identity::Identity,
    request: &pb::ListVouchersRequest,
) -> Result<VoucherFilter, ApiError> {
    let official = READERS.iter().any(|r| identity.has(*r));
    let holder_iin = cases::own_vouchers(identity)?;
    // A center sees the vouchers it redeemed (and used).
    let center = if official || holder_iin.is_some() {
        match request.center_number.trim() {
            "" => None,
            raw => Some(
                nsk_kz::CenterNumber::parse(raw)
                    .map_err(|rule| ApiError::invalid_field("center_number", rule))?
                    .get(),
            ),
        }
    } else {
        Some(cases::own_center(identity)?.get())
    };
    let profession = match request.profession_id.trim() {
        "" => None,
        raw => Some(nsk_errors::fields::uuid(raw, "profession_id")?),
    };
    let limit = page_size(request.page_size)?;
    // An office sees its own region, whatever it asks; the others any.
    let region = region_asked(identity, &request.region)?;
    let date = |raw: &str, field: &str| nsk_errors::fields::optional_date(raw, field);
    let filter = VoucherFilter {
        region,
        center,
        profession,
        holder_iin,
        statuses: status_codes(request.status)
            .ok_or_else(|| ApiError::invalid_field("status", "is not a voucher status"))?,
        issued_from: date(&request.issued_from, "issued_from")?,
        issued_to: date(&request.issued_to, "issued_to")?,
        after: match request.page_token.as_str() {
            "" => None,
            token => Some(Uuid::parse_str(token).map_err(|_| {
                ApiError::invalid_field(
                    "page_token",
                    "must be a next_page_token of an earlier page",
                )
            })?),
        },
        limit,
    };
    Ok(filter)
}

#[tonic::async_trait]
impl VoucherService for VouchersApi {
    async fn set_voucher_terms(
        &self,
        request: Request<pb::SetVoucherTermsRequest>,
    ) -> Result<Response<pb::VoucherTerms>, Status> {
        let caller = self.verifier.caller(&request)?;
        // Art. 29.4: the authorized body's rules.
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?.clone();
        let stored =
            cases::set_terms(&self.pool, &self.outbox, &identity, request.into_inner()).await?;
        Ok(Response::new(terms_to_proto(&stored)))
    }

    async fn get_voucher_terms(
        &self,
        request: Request<pb::GetVoucherTermsRequest>,
    ) -> Result<Response<pb::VoucherTerms>, Status> {
        let caller = self.verifier.caller(&request)?;
        caller.require(&READERS)?;
        let year = request.get_ref().year;
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        let stored = store::terms(&mut conn, year)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("voucher terms of year", &year.to_string()))?;
        Ok(Response::new(terms_to_proto(&stored)))
    }

    async fn issue_voucher(
        &self,
        request: Request<pb::IssueVoucherRequest>,
    ) -> Result<Response<pb::Voucher>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::EmploymentOffice])?.clone();
        let request = request.into_inner();
        let key = RequestKey::new(
            &identity.subject,
            "IssueVoucher",
            &request.request_id,
            &request.encode_to_vec(),
        )?;
        let today = today();
        let fields = cases::issue_fields(&request, today)?;
        let stored = cases::issue(
            &self.pool,
            &self.outbox,
            &identity,
            fields,
            key.as_ref(),
            today,
        )
        .await?;
        Ok(Response::new(voucher_to_proto(&stored)))
    }

    async fn get_voucher(
        &self,
        request: Request<pb::GetVoucherRequest>,
    ) -> Result<Response<pb::Voucher>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&HOLDER_READERS)?.clone();
        let id = nsk_errors::fields::uuid(&request.get_ref().id, "id")?;
        let mut conn = self.pool.acquire().await.map_err(ApiError::from)?;
        let stored = store::get_voucher(&mut conn, id)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("voucher", &id.to_string()))?;
        cases::check_office_region(&identity, &stored.voucher.region)?;
        if let Some(own) = cases::own_vouchers(&identity)? {
            if own != stored.voucher.holder_iin {
                return Err(ApiError::not_found("voucher", &id.to_string()).into());
            }
        }
        store::audit_reads(
            &self.pool,
            &identity.subject,
            identity.primary_role(),
            &[id],
        )
        .await
        .map_err(ApiError::from)?;
        Ok(Response::new(voucher_to_proto(&stored)))
    }

    async fn check_voucher(
        &self,
        request: Request<pb::CheckVoucherRequest>,
    ) -> Result<Response<pb::VoucherCheck>, Status> {
        let number = request.get_ref().number.trim().to_ascii_uppercase();
        // Bytes, not characters: a non-ASCII character is simply not a digit.
        let b = number.as_bytes();
        let valid = b.len() == 16
            && b.starts_with(b"VC-")
            && b[3..7].iter().all(u8::is_ascii_digit)
            && b[7] == b'-'
            && b[8..].iter().all(u8::is_ascii_digit);
        if !valid {
            return Err(ApiError::invalid_field(
                "number",
                "must be a voucher number as printed: VC-YYYY-NNNNNNNN",
            )
            .into());
        }
        let stored = store::voucher_by_number(&self.pool, &number)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| ApiError::not_found("voucher", &number))?;
        Ok(Response::new(check_to_proto(&stored)))
    }

    async fn list_vouchers(
        &self,
        request: Request<pb::ListVouchersRequest>,
    ) -> Result<Response<pb::ListVouchersResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller
            .require(&[
                Role::AuthorizedBodyAdmin,
                Role::Auditor,
                Role::EmploymentOffice,
                Role::RecognitionCenter,
                Role::Candidate,
            ])?
            .clone();
        let filter = voucher_filter(&identity, &request.into_inner())?;
        let found = cases::list_vouchers(&self.pool, &identity, &filter).await?;
        let next_page_token = match found.last() {
            Some(last) if found.len() as i64 == filter.limit => last.voucher.id.to_string(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListVouchersResponse {
            vouchers: found.iter().map(voucher_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn redeem_voucher(
        &self,
        request: Request<pb::RedeemVoucherRequest>,
    ) -> Result<Response<pb::Voucher>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?.clone();
        let stored = cases::redeem(
            &self.pool,
            &self.outbox,
            &identity,
            request.into_inner(),
            today(),
        )
        .await?;
        Ok(Response::new(voucher_to_proto(&stored)))
    }

    async fn release_voucher(
        &self,
        request: Request<pb::ReleaseVoucherRequest>,
    ) -> Result<Response<pb::Voucher>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?.clone();
        let stored = cases::release(
            &self.pool,
            &self.outbox,
            &identity,
            request.into_inner(),
            today(),
        )
        .await?;
        Ok(Response::new(voucher_to_proto(&stored)))
    }

    async fn report_failed_procedure(
        &self,
        request: Request<pb::ReportFailedProcedureRequest>,
    ) -> Result<Response<pb::Voucher>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::RecognitionCenter])?.clone();
        let stored = cases::report_failed(
            &self.pool,
            &self.outbox,
            &identity,
            request.into_inner(),
            today(),
        )
        .await?;
        Ok(Response::new(voucher_to_proto(&stored)))
    }

    /// Claims: the authorized body and auditors all, an office its region's, a center its own.
    async fn list_reimbursements(
        &self,
        request: Request<pb::ListReimbursementsRequest>,
    ) -> Result<Response<pb::ListReimbursementsResponse>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller
            .require(&[
                Role::AuthorizedBodyAdmin,
                Role::Auditor,
                Role::EmploymentOffice,
                Role::RecognitionCenter,
            ])?
            .clone();
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let official = identity.has(Role::AuthorizedBodyAdmin) || identity.has(Role::Auditor);
        let center = if official || identity.has(Role::EmploymentOffice) {
            None
        } else {
            Some(cases::own_center(&identity)?.get())
        };
        let region = region_asked(&identity, &request.region)?;
        let after = match request.page_token.as_str() {
            "" => None,
            token => Some(Uuid::parse_str(token).map_err(|_| {
                ApiError::invalid_field(
                    "page_token",
                    "must be a next_page_token of an earlier page",
                )
            })?),
        };
        let claims = store::list_claims(&self.pool, region.as_deref(), center, after, limit)
            .await
            .map_err(ApiError::from)?;
        let next_page_token = match claims.last() {
            Some(last) if claims.len() as i64 == limit => last.id.to_string(),
            _ => String::new(),
        };
        Ok(Response::new(pb::ListReimbursementsResponse {
            reimbursements: claims.iter().map(claim_to_proto).collect(),
            next_page_token,
        }))
    }

    async fn decide_claim(
        &self,
        request: Request<pb::DecideClaimRequest>,
    ) -> Result<Response<pb::Reimbursement>, Status> {
        let caller = self.verifier.caller(&request)?;
        // Art. 29.4: the authorized body finances the vouchers.
        let identity = caller.require(&[Role::AuthorizedBodyAdmin])?.clone();
        let claim =
            cases::decide_claim(&self.pool, &self.outbox, &identity, request.into_inner()).await?;
        Ok(Response::new(claim_to_proto(&claim)))
    }

    async fn get_voucher_statistics(
        &self,
        request: Request<pb::GetVoucherStatisticsRequest>,
    ) -> Result<Response<pb::VoucherStatistics>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&READERS)?.clone();
        let year = request.get_ref().year;
        let official = identity.has(Role::AuthorizedBodyAdmin) || identity.has(Role::Auditor);
        let region = if official {
            None
        } else {
            identity.region.clone()
        };
        let figures = store::statistics(&self.pool, year, region.as_deref())
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::VoucherStatistics {
            year,
            regions: figures
                .into_iter()
                .map(|f| pb::RegionStatistics {
                    region: f.region,
                    issued: f.issued,
                    outstanding: f.outstanding,
                    redeemed: f.redeemed,
                    passed: f.passed,
                    failed: f.failed,
                    expired: f.expired,
                    cancelled: f.cancelled,
                    budget_count: f.budget_count,
                    budget_tiyn: f.budget_tiyn,
                    committed_count: f.committed_count,
                    committed_tiyn: f.committed_tiyn,
                    spent_tiyn: f.spent_tiyn,
                })
                .collect(),
        }))
    }

    async fn export_reimbursements(
        &self,
        request: Request<pb::ExportReimbursementsRequest>,
    ) -> Result<Response<HttpBody>, Status> {
        let caller = self.verifier.caller(&request)?;
        caller.require(&[Role::AuthorizedBodyAdmin, Role::Auditor])?;
        let request = request.into_inner();
        let date = |raw: &str, field: &str| {
            nsk_errors::fields::optional_date(raw, field)?
                .ok_or_else(|| ApiError::invalid_field(field, "is required, as YYYY-MM-DD"))
        };
        let from = date(&request.from, "from")?;
        let to = date(&request.to, "to")?;
        if to < from {
            return Err(
                ApiError::invalid_field("to", format!("must not be before from ({from})")).into(),
            );
        }
        let region = match request.region.trim() {
            "" => None,
            r if crate::domain::terms::is_region(r) => Some(r.to_string()),
            _ => {
                return Err(ApiError::invalid_field("region", "must be a region code").into());
            }
        };
        let claims = store::claims_between(&self.pool, region.as_deref(), from, to)
            .await
            .map_err(ApiError::from)?;
        let mut csv = String::from(CLAIMS_CSV_HEADER);
        for c in &claims {
            csv.push_str(&claim_csv_line(c));
        }
        Ok(Response::new(HttpBody {
            content_type: "text/csv; charset=utf-8".into(),
            data: csv.into_bytes(),
            extensions: Vec::new(),
        }))
    }

    async fn extend_voucher(
        &self,
        request: Request<pb::ExtendVoucherRequest>,
    ) -> Result<Response<pb::Voucher>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::EmploymentOffice])?.clone();
        let stored =
            cases::extend(&self.pool, &self.outbox, &identity, request.into_inner()).await?;
        Ok(Response::new(voucher_to_proto(&stored)))
    }

    async fn cancel_voucher(
        &self,
        request: Request<pb::CancelVoucherRequest>,
    ) -> Result<Response<pb::Voucher>, Status> {
        let caller = self.verifier.caller(&request)?;
        let identity = caller.require(&[Role::EmploymentOffice])?.clone();
        let stored = cases::cancel(
            &self.pool,
            &self.outbox,
            &identity,
            request.into_inner(),
            today(),
        )
        .await?;
        Ok(Response::new(voucher_to_proto(&stored)))
    }
}
