CREATE SCHEMA IF NOT EXISTS "herald";
--> statement-breakpoint
CREATE TABLE "herald"."attempts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."attempts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"delivery_id" bigint NOT NULL,
	"attempt" integer NOT NULL,
	"worker" text,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone DEFAULT now() NOT NULL,
	"outcome" text NOT NULL,
	"error_code" text,
	"error" text,
	"error_stack" text,
	"result" jsonb,
	"manual" boolean DEFAULT false NOT NULL,
	"next_run_at" timestamp with time zone,
	CONSTRAINT "attempts_outcome_valid" CHECK ("herald"."attempts"."outcome" IN ('succeeded','failed','dead','lost'))
);
--> statement-breakpoint
CREATE TABLE "herald"."audit_log" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."audit_log_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target" text,
	"reason" text,
	"details" jsonb
);
--> statement-breakpoint
CREATE TABLE "herald"."deliveries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."deliveries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"event_id" bigint NOT NULL,
	"subscription" text NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"attempts_before_replay" integer DEFAULT 0 NOT NULL,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"claimed_at" timestamp with time zone,
	"manual_next" boolean DEFAULT false NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "deliveries_state_valid" CHECK ("herald"."deliveries"."state" IN ('pending','running','succeeded','dead','discarded')),
	CONSTRAINT "deliveries_running_has_lease" CHECK (("herald"."deliveries"."state" = 'running') = ("herald"."deliveries"."lease_owner" IS NOT NULL AND "herald"."deliveries"."lease_expires_at" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "herald"."events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"channel" text NOT NULL,
	"payload" jsonb NOT NULL,
	"key" text,
	"idempotency_key" text,
	"source" text,
	"run_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "events_channel_format" CHECK ("herald"."events"."channel" ~ '^[a-z0-9][a-z0-9._-]{0,199}$'),
	CONSTRAINT "events_key_length" CHECK (length("herald"."events"."key") <= 500),
	CONSTRAINT "events_idempotency_key_length" CHECK (length("herald"."events"."idempotency_key") <= 500)
);
--> statement-breakpoint
CREATE TABLE "herald"."subscriptions" (
	"name" text PRIMARY KEY NOT NULL,
	"channel_pattern" text NOT NULL,
	"paused" boolean DEFAULT false NOT NULL,
	"paused_reason" text,
	"paused_by" text,
	"paused_at" timestamp with time zone,
	"max_attempts" integer DEFAULT 20 NOT NULL,
	"backoff_base_ms" integer DEFAULT 10000 NOT NULL,
	"backoff_max_ms" integer DEFAULT 3600000 NOT NULL,
	"timeout_ms" integer DEFAULT 30000 NOT NULL,
	"concurrency" integer DEFAULT 10 NOT NULL,
	"lease_ms" integer DEFAULT 30000 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "subscriptions_name_format" CHECK ("herald"."subscriptions"."name" ~ '^[a-z0-9][a-z0-9._-]{0,99}$'),
	CONSTRAINT "subscriptions_pattern_format" CHECK ("herald"."subscriptions"."channel_pattern" ~ '^([a-z0-9*][a-z0-9._*-]{0,199})$'),
	CONSTRAINT "subscriptions_max_attempts_positive" CHECK ("herald"."subscriptions"."max_attempts" >= 1),
	CONSTRAINT "subscriptions_backoff_positive" CHECK ("herald"."subscriptions"."backoff_base_ms" > 0 AND "herald"."subscriptions"."backoff_max_ms" >= "herald"."subscriptions"."backoff_base_ms"),
	CONSTRAINT "subscriptions_timeout_positive" CHECK ("herald"."subscriptions"."timeout_ms" > 0),
	CONSTRAINT "subscriptions_concurrency_positive" CHECK ("herald"."subscriptions"."concurrency" > 0),
	CONSTRAINT "subscriptions_lease_positive" CHECK ("herald"."subscriptions"."lease_ms" >= 1000)
);
--> statement-breakpoint
CREATE TABLE "herald"."workers" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"pid" integer NOT NULL,
	"subscriptions" text[] NOT NULL,
	"waiting" boolean DEFAULT false NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "herald"."attempts" ADD CONSTRAINT "attempts_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "herald"."deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "herald"."deliveries" ADD CONSTRAINT "deliveries_event_id_events_id_fk" FOREIGN KEY ("event_id") REFERENCES "herald"."events"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "herald"."deliveries" ADD CONSTRAINT "deliveries_subscription_subscriptions_name_fk" FOREIGN KEY ("subscription") REFERENCES "herald"."subscriptions"("name") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
CREATE INDEX "attempts_delivery" ON "herald"."attempts" USING btree ("delivery_id","attempt");--> statement-breakpoint
CREATE INDEX "audit_log_at" ON "herald"."audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_actor" ON "herald"."audit_log" USING btree ("actor","at");--> statement-breakpoint
CREATE UNIQUE INDEX "deliveries_event_subscription" ON "herald"."deliveries" USING btree ("event_id","subscription");--> statement-breakpoint
CREATE INDEX "deliveries_runnable" ON "herald"."deliveries" USING btree ("subscription","run_at","id") WHERE "herald"."deliveries"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "deliveries_leases" ON "herald"."deliveries" USING btree ("lease_expires_at") WHERE "herald"."deliveries"."state" = 'running';--> statement-breakpoint
CREATE INDEX "deliveries_dead" ON "herald"."deliveries" USING btree ("subscription","finished_at") WHERE "herald"."deliveries"."state" = 'dead';--> statement-breakpoint
CREATE UNIQUE INDEX "events_channel_idempotency_key" ON "herald"."events" USING btree ("channel","idempotency_key") WHERE "herald"."events"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "events_key" ON "herald"."events" USING btree ("key") WHERE "herald"."events"."key" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "events_created_at" ON "herald"."events" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "workers_waiting" ON "herald"."workers" USING btree ("id") WHERE "herald"."workers"."waiting";