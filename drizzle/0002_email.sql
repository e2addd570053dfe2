CREATE TABLE "herald"."email_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."email_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"record_type" text NOT NULL,
	"message_id" text NOT NULL,
	"recipient" text,
	"occurred_at" timestamp with time zone,
	"attempt_id" bigint,
	"delivery_id" bigint,
	"dedupe_key" text NOT NULL,
	"payload" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "email_events_record_type_valid" CHECK ("herald"."email_events"."record_type" IN ('Delivery','Bounce','SpamComplaint','Open','Click','SubscriptionChange')),
	CONSTRAINT "email_events_message_id_length" CHECK (length("herald"."email_events"."message_id") BETWEEN 1 AND 200)
);
--> statement-breakpoint
CREATE TABLE "herald"."sandbox_inactive_addresses" (
	"email" text PRIMARY KEY NOT NULL,
	"reason" text DEFAULT 'ManualSuppression' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sandbox_inactive_email_lower" CHECK ("herald"."sandbox_inactive_addresses"."email" = lower("herald"."sandbox_inactive_addresses"."email")),
	CONSTRAINT "sandbox_inactive_reason_valid" CHECK ("herald"."sandbox_inactive_addresses"."reason" IN ('HardBounce','SpamComplaint','ManualSuppression'))
);
--> statement-breakpoint
CREATE TABLE "herald"."sandbox_messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."sandbox_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"message_id" text,
	"endpoint" text NOT NULL,
	"status" text NOT NULL,
	"http_status" integer NOT NULL,
	"error_code" integer DEFAULT 0 NOT NULL,
	"error_message" text,
	"from_address" text,
	"to_address" text,
	"subject" text,
	"text_body" text,
	"html_body" text,
	"tag" text,
	"message_stream" text,
	"request" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"webhook_type" text,
	"webhook_posted_at" timestamp with time zone,
	"webhook_error" text,
	CONSTRAINT "sandbox_messages_endpoint_valid" CHECK ("herald"."sandbox_messages"."endpoint" IN ('email','batch','withTemplate')),
	CONSTRAINT "sandbox_messages_status_valid" CHECK ("herald"."sandbox_messages"."status" IN ('accepted','rejected')),
	CONSTRAINT "sandbox_messages_accepted_has_id" CHECK (("herald"."sandbox_messages"."status" = 'accepted') = ("herald"."sandbox_messages"."message_id" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "herald"."sandbox_settings" (
	"id" integer PRIMARY KEY DEFAULT 1 NOT NULL,
	"maintenance_starts_at" timestamp with time zone,
	"maintenance_ends_at" timestamp with time zone,
	"failure_rate" double precision DEFAULT 0 NOT NULL,
	"latency_ms" integer DEFAULT 0 NOT NULL,
	"retry_after_seconds" integer,
	"webhook_delay_ms" integer DEFAULT 1000 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	CONSTRAINT "sandbox_settings_single_row" CHECK ("herald"."sandbox_settings"."id" = 1),
	CONSTRAINT "sandbox_settings_failure_rate_range" CHECK ("herald"."sandbox_settings"."failure_rate" >= 0 AND "herald"."sandbox_settings"."failure_rate" <= 1),
	CONSTRAINT "sandbox_settings_latency_range" CHECK ("herald"."sandbox_settings"."latency_ms" BETWEEN 0 AND 120000),
	CONSTRAINT "sandbox_settings_retry_after_range" CHECK ("herald"."sandbox_settings"."retry_after_seconds" BETWEEN 0 AND 86400),
	CONSTRAINT "sandbox_settings_webhook_delay_range" CHECK ("herald"."sandbox_settings"."webhook_delay_ms" BETWEEN 0 AND 600000),
	CONSTRAINT "sandbox_settings_window_order" CHECK ("herald"."sandbox_settings"."maintenance_ends_at" IS NULL OR "herald"."sandbox_settings"."maintenance_starts_at" IS NULL OR "herald"."sandbox_settings"."maintenance_ends_at" > "herald"."sandbox_settings"."maintenance_starts_at")
);
--> statement-breakpoint
ALTER TABLE "herald"."email_events" ADD CONSTRAINT "email_events_attempt_id_attempts_id_fk" FOREIGN KEY ("attempt_id") REFERENCES "herald"."attempts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "herald"."email_events" ADD CONSTRAINT "email_events_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "herald"."deliveries"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "email_events_dedupe_key" ON "herald"."email_events" USING btree ("dedupe_key");--> statement-breakpoint
CREATE INDEX "email_events_message_id" ON "herald"."email_events" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "email_events_delivery" ON "herald"."email_events" USING btree ("delivery_id","occurred_at") WHERE "herald"."email_events"."delivery_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "sandbox_messages_message_id" ON "herald"."sandbox_messages" USING btree ("message_id") WHERE "herald"."sandbox_messages"."message_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "sandbox_messages_received" ON "herald"."sandbox_messages" USING btree ("received_at","id");--> statement-breakpoint
CREATE INDEX "sandbox_messages_to" ON "herald"."sandbox_messages" USING btree ("to_address","received_at");--> statement-breakpoint

-- Custom SQL (not expressible in the Drizzle schema without touching the attempts table).

-- Webhooks and lookups find the attempt that sent an email by Postmark's MessageID, which the
-- email subscribers return and the worker stores in attempts.result. Partial on IS NOT NULL:
-- most attempts carry no message id, and `result->>'messageId' = $1` implies the predicate, so
-- the planner uses this index for every equality lookup.
CREATE INDEX "attempts_message_id" ON "herald"."attempts" (("result"->>'messageId'))
  WHERE ("result"->>'messageId') IS NOT NULL;
--> statement-breakpoint

-- Postmark (and the sandbox) can post a webhook before the worker has recorded the attempt
-- that sent the email: its outcomes are written in batches. Such records are stored unlinked;
-- this links them as soon as the attempt appears. One run per INSERT statement (the worker
-- inserts a batch of attempts per statement); attempts without a message id cost one scan of
-- the transition table.
-- Without a lock, a webhook stored while its attempt commits sees no attempt, and this
-- trigger sees no webhook (neither transaction sees the other's uncommitted row): measured
-- 1 record in 200 left unlinked. Both sides therefore take a transaction-level advisory lock
-- on the message id (namespace 1212436548 = 'HERD'); the statement after the lock sees what
-- the other side committed. Each message id belongs to one attempt, so batches never contend.
CREATE FUNCTION herald.link_email_events() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  v_ids text[];
BEGIN
  SELECT array_agg(DISTINCT a.result->>'messageId') INTO v_ids
  FROM new_attempts a
  WHERE a.result->>'messageId' IS NOT NULL;
  IF v_ids IS NULL THEN
    RETURN NULL;
  END IF;
  PERFORM pg_advisory_xact_lock(1212436548, hashtext(id)) FROM unnest(v_ids) AS id;
  UPDATE herald.email_events e
  SET attempt_id = a.id, delivery_id = a.delivery_id
  FROM new_attempts a
  WHERE e.message_id = a.result->>'messageId'
    AND e.attempt_id IS NULL;
  RETURN NULL;
END
$$;
--> statement-breakpoint

CREATE TRIGGER attempts_link_email_events
AFTER INSERT ON herald.attempts
REFERENCING NEW TABLE AS new_attempts
FOR EACH STATEMENT EXECUTE FUNCTION herald.link_email_events();
--> statement-breakpoint

-- The sandbox's controls always exist: readers never have to handle a missing row.
INSERT INTO herald.sandbox_settings (id) VALUES (1) ON CONFLICT DO NOTHING;
