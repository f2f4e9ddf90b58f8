//! The [`Store`](crate::Store) methods written once over the [`Dialect`](crate::dialect::Dialect):
//! each forwards to its domain's function. Expanded in the `Store` impl of both backends.

/// The forwarding methods, for a `Store` impl whose type implements `Dialect`.
macro_rules! dialect_methods {
    () => {
        async fn ping(&self) -> Result<()> {
            $crate::dialect::ping(self).await
        }

        async fn claim_due_outbox(
            &self,
            limit: i64,
            now: DateTime<Utc>,
            lease: ::std::time::Duration,
        ) -> Result<Vec<OutboxMessage>> {
            $crate::outbox::claim_due_outbox(self, limit, now, lease).await
        }

        async fn mark_outbox_sent(
            &self,
            id: i64,
            provider_message_id: &str,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            $crate::outbox::mark_outbox_sent(self, id, provider_message_id, now).await
        }

        async fn mark_outbox_failed(
            &self,
            id: i64,
            error: &str,
            kind: FailureKind,
            policy: &RetryPolicy,
            now: DateTime<Utc>,
        ) -> Result<RetryOutcome> {
            $crate::outbox::mark_outbox_failed(self, id, error, kind, policy, now).await
        }

        async fn record_delivery(
            &self,
            provider_message_id: &str,
            status: DeliveryStatus,
            error: Option<&str>,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            $crate::outbox::record_delivery(self, provider_message_id, status, error, now).await
        }

        async fn outbox_by_provider_id(
            &self,
            provider_message_id: &str,
        ) -> Result<Option<OutboxMessage>> {
            $crate::outbox::outbox_by_provider_id(self, provider_message_id).await
        }

        async fn get_outbox(&self, id: i64) -> Result<Option<OutboxMessage>> {
            $crate::outbox::get_outbox(self, id).await
        }

        async fn outbox_depth(&self) -> Result<i64> {
            $crate::outbox::outbox_depth(self).await
        }

        async fn get_ticket(&self, id: i64, communes: &[String]) -> Result<Option<Ticket>> {
            $crate::tickets::get_ticket(self, id, communes).await
        }

        async fn list_open_tickets(&self, communes: &[String]) -> Result<Vec<Ticket>> {
            $crate::tickets::list_open_tickets(self, communes).await
        }

        async fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>> {
            $crate::tickets::list_tickets(self, filter).await
        }

        async fn claim_ticket(
            &self,
            id: i64,
            communes: &[String],
            staff_id: i64,
            at: DateTime<Utc>,
        ) -> Result<Transition> {
            $crate::tickets::claim_ticket(self, id, communes, staff_id, at).await
        }

        async fn close_ticket(
            &self,
            id: i64,
            communes: &[String],
            staff_id: i64,
            at: DateTime<Utc>,
        ) -> Result<Transition> {
            $crate::tickets::close_ticket(self, id, communes, staff_id, at).await
        }

        async fn ticket_unreachable(
            &self,
            id: i64,
            communes: &[String],
            staff_id: i64,
            at: DateTime<Utc>,
            rule: AttemptRule,
        ) -> Result<Transition> {
            $crate::tickets::ticket_unreachable(self, id, communes, staff_id, at, rule).await
        }

        async fn record_dial_outcome(
            &self,
            tenant: &str,
            conversation_id: &str,
            outcome: DialOutcome,
            at: DateTime<Utc>,
        ) -> Result<Option<DialRecorded>> {
            $crate::tickets::record_dial_outcome(self, tenant, conversation_id, outcome, at).await
        }

        async fn hand_over_ticket(
            &self,
            id: i64,
            communes: &[String],
            change: &HandOver,
        ) -> Result<Transition> {
            $crate::tickets::hand_over_ticket(self, id, communes, change).await
        }

        async fn add_ticket_note(
            &self,
            id: i64,
            communes: &[String],
            staff_id: i64,
            at: DateTime<Utc>,
            body: &str,
        ) -> Result<Transition> {
            $crate::tickets::add_ticket_note(self, id, communes, staff_id, at, body).await
        }

        async fn ticket_notes(&self, id: i64, communes: &[String]) -> Result<Vec<TicketNote>> {
            $crate::tickets::ticket_notes(self, id, communes).await
        }

        async fn create_staff(&self, staff: &NewStaff) -> Result<i64> {
            $crate::staff::create_staff(self, staff).await
        }

        async fn get_staff(&self, id: i64) -> Result<Option<Staff>> {
            $crate::staff::get_staff(self, id).await
        }

        async fn get_staff_by_email(&self, email: &str) -> Result<Option<Staff>> {
            $crate::staff::get_staff_by_email(self, email).await
        }

        async fn list_staff(&self) -> Result<Vec<Staff>> {
            $crate::staff::list_staff(self).await
        }

        async fn count_staff(&self) -> Result<i64> {
            $crate::staff::count_staff(self).await
        }

        async fn set_staff_password(&self, id: i64, password_hash: &str) -> Result<bool> {
            $crate::staff::set_staff_password(self, id, password_hash).await
        }

        async fn set_staff_disabled(&self, id: i64, disabled: bool) -> Result<bool> {
            $crate::staff::set_staff_disabled(self, id, disabled).await
        }

        async fn create_staff_session(&self, session: &StaffSession) -> Result<()> {
            $crate::staff::create_staff_session(self, session).await
        }

        async fn get_staff_session(
            &self,
            token_hash: &str,
            now: DateTime<Utc>,
        ) -> Result<Option<StaffSession>> {
            $crate::staff::get_staff_session(self, token_hash, now).await
        }

        async fn delete_staff_session(&self, token_hash: &str) -> Result<()> {
            $crate::staff::delete_staff_session(self, token_hash).await
        }

        async fn append_audit(&self, entry: &AuditEntry) -> Result<i64> {
            $crate::audit::append_audit(self, entry).await
        }

        async fn list_audit(
            &self,
            communes: &[String],
            action_prefix: Option<&str>,
            limit: i64,
        ) -> Result<Vec<AuditRow>> {
            $crate::audit::list_audit(self, communes, action_prefix, limit).await
        }

        async fn insert_eval_run(&self, run: &NewEvalRun) -> Result<i64> {
            $crate::eval_runs::insert_eval_run(self, run).await
        }

        async fn list_eval_runs(&self, commune: &str, limit: i64) -> Result<Vec<EvalRun>> {
            $crate::eval_runs::list_eval_runs(self, commune, limit).await
        }

        async fn purge_before(&self, commune: &str, cutoff: DateTime<Utc>) -> Result<PurgeReport> {
            $crate::privacy::purge_before(self, commune, cutoff).await
        }

        async fn caller_records(&self, number: &str, pseudonym: &str) -> Result<CallerRecords> {
            $crate::privacy::caller_records(self, number, pseudonym).await
        }

        async fn erase_caller(
            &self,
            number: &str,
            pseudonym: &str,
            at: DateTime<Utc>,
        ) -> Result<ErasureReport> {
            $crate::privacy::erase_caller(self, number, pseudonym, at).await
        }

        async fn touch_staff_session(
            &self,
            token_hash: &str,
            expires_at: DateTime<Utc>,
            now: DateTime<Utc>,
        ) -> Result<bool> {
            $crate::staff::touch_staff_session(self, token_hash, expires_at, now).await
        }

        async fn enqueue_notification(&self, n: &NewNotification) -> Result<i64> {
            $crate::notifications::enqueue_notification(self, n).await
        }

        async fn claim_due_notifications(
            &self,
            limit: i64,
            now: DateTime<Utc>,
            lease: ::std::time::Duration,
        ) -> Result<Vec<Notification>> {
            $crate::notifications::claim_due_notifications(self, limit, now, lease).await
        }

        async fn mark_notification_sent(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
            $crate::notifications::mark_notification_sent(self, id, now).await
        }

        async fn mark_notification_failed(
            &self,
            id: i64,
            error: &str,
            kind: FailureKind,
            policy: &RetryPolicy,
            now: DateTime<Utc>,
        ) -> Result<RetryOutcome> {
            $crate::notifications::mark_notification_failed(self, id, error, kind, policy, now)
                .await
        }

        async fn list_notifications(
            &self,
            filter: &NotificationFilter,
        ) -> Result<Vec<Notification>> {
            $crate::notifications::list_notifications(self, filter).await
        }

        async fn notification_counts(
            &self,
            communes: &[String],
        ) -> Result<Vec<(NotificationState, i64)>> {
            $crate::notifications::notification_counts(self, communes).await
        }

        async fn list_outbox(&self, filter: &OutboxFilter) -> Result<Vec<OutboxMessage>> {
            $crate::outbox::list_outbox(self, filter).await
        }

        async fn outbox_counts(&self, communes: &[String]) -> Result<Vec<(OutboxState, i64)>> {
            $crate::outbox::outbox_counts(self, communes).await
        }

        async fn sms_count_since(&self, tenant: &str, since: DateTime<Utc>) -> Result<i64> {
            $crate::outbox::sms_count_since(self, tenant, since).await
        }

        async fn create_api_key(&self, key: &NewApiKey) -> Result<i64> {
            $crate::api_keys::create_api_key(self, key).await
        }

        async fn api_key_by_hash(&self, token_hash: &str) -> Result<Option<ApiKey>> {
            $crate::api_keys::api_key_by_hash(self, token_hash).await
        }

        async fn list_api_keys(&self, tenant: Option<&str>) -> Result<Vec<ApiKey>> {
            $crate::api_keys::list_api_keys(self, tenant).await
        }

        async fn revoke_api_key(&self, id: i64, at: DateTime<Utc>) -> Result<bool> {
            $crate::api_keys::revoke_api_key(self, id, at).await
        }

        async fn count_api_keys(&self) -> Result<i64> {
            $crate::api_keys::count_api_keys(self).await
        }

        async fn consume_one_time_password(&self, id: i64, password_hash: &str) -> Result<bool> {
            $crate::staff::consume_one_time_password(self, id, password_hash).await
        }

        async fn reset_staff_password(&self, id: i64, password_hash: &str) -> Result<bool> {
            $crate::staff::reset_staff_password(self, id, password_hash).await
        }

        async fn get_eval_run(&self, commune: &str, id: i64) -> Result<Option<EvalRun>> {
            $crate::eval_runs::get_eval_run(self, commune, id).await
        }

        async fn load_session(
            &self,
            tenant: &str,
            conversation_id: &str,
        ) -> Result<Option<SessionRecord>> {
            $crate::sessions::load_session(self, tenant, conversation_id).await
        }

        async fn active_session_for_caller(
            &self,
            tenant: &str,
            channel: Channel,
            caller: &str,
            now: DateTime<Utc>,
        ) -> Result<Option<SessionRecord>> {
            $crate::sessions::active_session_for_caller(self, tenant, channel, caller, now).await
        }

        async fn cleanup_expired_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
            $crate::sessions::cleanup_expired_sessions(self, now).await
        }

        async fn conversation_turns(
            &self,
            tenant: &str,
            conversation_id: &str,
        ) -> Result<Vec<Turn>> {
            $crate::sessions::conversation_turns(self, tenant, conversation_id).await
        }

        async fn sessions_between(
            &self,
            tenant: &str,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Vec<SessionRecord>> {
            $crate::sessions::sessions_between(self, tenant, from, to).await
        }

        async fn turns_between(
            &self,
            tenant: &str,
            from: DateTime<Utc>,
            to: DateTime<Utc>,
        ) -> Result<Vec<TurnRow>> {
            $crate::sessions::turns_between(self, tenant, from, to).await
        }
    };
}
pub(crate) use dialect_methods;
