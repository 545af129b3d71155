//! Centers' offers (Art. 17.2.1, 17.2.7): published within the accredited scope, withdrawn,
//! searched by the public.

use nsk_db::requests::RequestKey;
use nsk_errors::ApiError;
use nsk_identity::Identity;
use nsk_kz::CenterNumber;
use nsk_proto::nsk::recognition::v1 as pb;
use uuid::Uuid;

use super::{context, key_of, refused, violations, Cases, OFFER};
use crate::convert;
use crate::domain::offer::{Offer, Terms};
use crate::store;

impl Cases {
    /// Art. 17.2.1, 17.2.7: a center publishes an offer within its accredited scope.
    pub async fn publish_offer(
        &self,
        identity: &Identity,
        request: pb::PublishOfferRequest,
    ) -> Result<Offer, ApiError> {
        let center = identity.own_center()?;
        let key = key_of(identity, "PublishOffer", &request.request_id, &request)?;
        let mut problems: Vec<(String, String)> = Vec::new();
        let profession_id = Uuid::parse_str(request.profession_id.trim())
            .map_err(|_| {
                problems.push((
                    "profession_id".into(),
                    "must be the id of a profession in the register".into(),
                ))
            })
            .ok();
        let mut languages = Vec::new();
        for (i, raw) in request.languages.iter().enumerate() {
            match convert::language_from_proto(*raw) {
                Some(l) if !languages.contains(&l) => languages.push(l),
                Some(_) => problems.push((format!("languages[{i}]"), "is given twice".into())),
                None => problems.push((
                    format!("languages[{i}]"),
                    "must be LANGUAGE_KAZAKH or LANGUAGE_RUSSIAN (Rules p. 9)".into(),
                )),
            }
        }
        let mut modes = Vec::new();
        for (i, raw) in request.modes.iter().enumerate() {
            match convert::mode_from_proto(*raw) {
                Some(m) if !modes.contains(&m) => modes.push(m),
                Some(_) => problems.push((format!("modes[{i}]"), "is given twice".into())),
                None => problems.push((
                    format!("modes[{i}]"),
                    "must be MODE_OFFLINE or MODE_ONLINE (Rules p. 9)".into(),
                )),
            }
        }
        let Some(profession_id) = profession_id else {
            return Err(violations(problems));
        };
        let terms = Terms {
            profession_id,
            nqf_level: request.nqf_level,
            price_tenge: request.price_tenge,
            languages,
            modes,
            region: request.region.trim().to_string(),
            venue: request.venue.trim().to_string(),
            documents_required: request
                .documents_required
                .iter()
                .map(|d| d.trim().to_string())
                .filter(|d| !d.is_empty())
                .collect(),
            retake_terms: request.retake_terms.trim().to_string(),
            lead_working_days: request.lead_working_days,
        };
        problems.extend(terms.check());
        if !problems.is_empty() {
            return Err(violations(problems));
        }
        let today = self.today();
        let offer = Offer::publish(center, terms, today);
        let mut tx = self.pool.begin().await?;
        if let nsk_db::requests::Once::Applied(done) =
            nsk_db::requests::once(&mut tx, key.as_ref(), offer.id).await?
        {
            tx.rollback().await?;
            return store::offers::get_offer(&self.pool, done)
                .await?
                .ok_or_else(|| ApiError::not_found("offer", &done.to_string()));
        }
        let profession_levels = store::heard::profession_levels(&mut tx, profession_id).await?;
        let center_levels =
            store::heard::center_scope_on(&mut tx, center, profession_id, today).await?;
        crate::domain::admission::admissible(
            center,
            today,
            offer.terms.nqf_level,
            profession_levels.as_deref(),
            center_levels.as_deref(),
        )
        .map_err(refused)?;
        store::offers::insert_offer(&mut tx, &offer).await?;
        let event = pb::OfferPublished {
            offer: Some(convert::offer_to_proto(&offer, None)),
        };
        self.offer_event(&mut tx, identity, key.as_ref(), &offer, &event)
            .await?;
        tx.commit().await?;
        tracing::info!(offer = %offer.id, %center, "offer published");
        Ok(offer)
    }

    /// The center withdraws its own offer.
    pub async fn withdraw_offer(
        &self,
        identity: &Identity,
        request: pb::WithdrawOfferRequest,
    ) -> Result<Offer, ApiError> {
        let center = identity.own_center()?;
        let id = nsk_errors::fields::uuid(&request.id, "id")?;
        let key = key_of(identity, "WithdrawOffer", &request.request_id, &request)?;
        let mut tx = self.pool.begin().await?;
        if let nsk_db::requests::Once::Applied(done) =
            nsk_db::requests::once(&mut tx, key.as_ref(), id).await?
        {
            tx.rollback().await?;
            return store::offers::get_offer(&self.pool, done)
                .await?
                .ok_or_else(|| ApiError::not_found("offer", &done.to_string()));
        }
        let mut offer = store::offers::lock_offer(&mut tx, id)
            .await?
            .ok_or_else(|| ApiError::not_found("offer", &id.to_string()))?;
        if offer.center != center {
            return Err(ApiError::permission_denied(format!(
                "center {center} withdraws its own offers, not those of center {}",
                offer.center
            )));
        }
        offer.withdraw().map_err(refused)?;
        store::offers::save_offer(&mut tx, &offer).await?;
        let event = pb::OfferWithdrawn {
            offer: Some(convert::offer_to_proto(&offer, None)),
        };
        self.offer_event(&mut tx, identity, key.as_ref(), &offer, &event)
            .await?;
        tx.commit().await?;
        Ok(offer)
    }

    async fn offer_event<M: prost::Name>(
        &self,
        tx: &mut sqlx::PgConnection,
        identity: &Identity,
        key: Option<&RequestKey>,
        offer: &Offer,
        event: &M,
    ) -> Result<(), ApiError> {
        self.outbox
            .append(
                tx,
                nsk_events::Aggregate {
                    kind: OFFER,
                    id: &offer.id.to_string(),
                    version: offer.version,
                },
                &context(identity, key),
                event,
            )
            .await?;
        Ok(())
    }

    /// Public: the offers a certificate covers today, cheapest first, each with the earliest
    /// day a procedure could be held if one applied today.
    pub async fn search_offers(
        &self,
        request: &pb::SearchOffersRequest,
    ) -> Result<Vec<pb::Offer>, ApiError> {
        let profession_id = match request.profession_id.trim() {
            "" => None,
            raw => Some(nsk_errors::fields::uuid(raw, "profession_id")?),
        };
        let center = match request.center_number.trim() {
            "" => None,
            raw => Some(
                CenterNumber::parse(raw)
                    .map_err(|rule| ApiError::invalid_field("center_number", rule))?,
            ),
        };
        let region = match request.region.trim() {
            "" => None,
            raw if nsk_kz::regions::is_region(raw) => Some(raw.to_string()),
            _ => {
                return Err(ApiError::invalid_field(
                    "region",
                    format!(
                        "must be a region code: one of {}",
                        nsk_kz::regions::REGIONS.join(", ")
                    ),
                ))
            }
        };
        let search = store::offers::Search {
            profession_id,
            nqf_level: (request.nqf_level > 0).then_some(request.nqf_level),
            region,
            language: convert::language_from_proto(request.language),
            mode: convert::mode_from_proto(request.mode),
            max_price_tenge: (request.max_price_tenge > 0).then_some(request.max_price_tenge),
            center,
            limit: match request.page_size {
                0 => 50,
                n => i64::from(n.clamp(1, 200)),
            },
        };
        let today = self.today();
        let calendar = self.calendar.current();
        let found = store::offers::search(&self.pool, &search, today).await?;
        Ok(found
            .iter()
            .map(|offer| {
                let lead = u32::try_from(offer.terms.lead_working_days).unwrap_or(0);
                let earliest = calendar.add_working_days(today, lead).ok();
                convert::offer_to_proto(offer, earliest)
            })
            .collect())
    }
}
