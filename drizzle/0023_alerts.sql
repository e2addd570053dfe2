CREATE TABLE "herald"."alert_destinations" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."alert_destinations_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"url" text,
	"secret" text,
	"emails" text[],
	"from_env" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	CONSTRAINT "alert_destinations_kind_valid" CHECK ("herald"."alert_destinations"."kind" IN ('slack','webhook','email')),
	CONSTRAINT "alert_destinations_target" CHECK (("herald"."alert_destinations"."kind" = 'email') = ("herald"."alert_destinations"."emails" IS NOT NULL AND cardinality("herald"."alert_destinations"."emails") > 0) AND ("herald"."alert_destinations"."kind" = 'email' OR "herald"."alert_destinations"."url" IS NOT NULL))
);
--> statement-breakpoint
CREATE TABLE "herald"."alert_messages" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."alert_messages_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"destination_id" bigint NOT NULL,
	"alert_id" bigint,
	"event" text NOT NULL,
	"payload" jsonb NOT NULL,
	"state" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "alert_messages_state_valid" CHECK ("herald"."alert_messages"."state" IN ('pending','sent','failed')),
	CONSTRAINT "alert_messages_event_valid" CHECK ("herald"."alert_messages"."event" IN ('firing','repeat','resolved','test'))
);
--> statement-breakpoint
CREATE TABLE "herald"."alert_rules" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."alert_rules_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"kind" text NOT NULL,
	"subscription" text DEFAULT '' NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"threshold" double precision DEFAULT 0 NOT NULL,
	"window_seconds" integer NOT NULL,
	"min_count" integer DEFAULT 0 NOT NULL,
	"repeat_seconds" integer DEFAULT 3600 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	CONSTRAINT "alert_rules_kind_valid" CHECK ("herald"."alert_rules"."kind" IN ('stall','oldest_due','failure_rate','dead_growth','no_heartbeat','circuit_open')),
	CONSTRAINT "alert_rules_values_valid" CHECK ("herald"."alert_rules"."threshold" >= 0 AND "herald"."alert_rules"."window_seconds" >= 0 AND "herald"."alert_rules"."window_seconds" <= 604800 AND "herald"."alert_rules"."min_count" >= 0 AND "herald"."alert_rules"."repeat_seconds" >= 60)
);
--> statement-breakpoint
CREATE TABLE "herald"."alerts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."alerts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"rule_id" bigint NOT NULL,
	"kind" text NOT NULL,
	"subscription" text NOT NULL,
	"state" text DEFAULT 'firing' NOT NULL,
	"severity" text NOT NULL,
	"summary" text NOT NULL,
	"value" double precision,
	"since" timestamp with time zone,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"resolved_at" timestamp with time zone,
	"notified_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"silenced_until" timestamp with time zone,
	"silenced_by" text,
	CONSTRAINT "alerts_state_valid" CHECK ("herald"."alerts"."state" IN ('firing','resolved'))
);
--> statement-breakpoint
ALTER TABLE "herald"."alert_messages" ADD CONSTRAINT "alert_messages_destination_id_alert_destinations_id_fk" FOREIGN KEY ("destination_id") REFERENCES "herald"."alert_destinations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "herald"."alert_messages" ADD CONSTRAINT "alert_messages_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "herald"."alerts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "herald"."alerts" ADD CONSTRAINT "alerts_rule_id_alert_rules_id_fk" FOREIGN KEY ("rule_id") REFERENCES "herald"."alert_rules"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_destinations_name" ON "herald"."alert_destinations" USING btree ("name");--> statement-breakpoint
CREATE INDEX "alert_messages_pending" ON "herald"."alert_messages" USING btree ("destination_id","id") WHERE "herald"."alert_messages"."state" = 'pending';--> statement-breakpoint
CREATE INDEX "alert_messages_alert" ON "herald"."alert_messages" USING btree ("alert_id");--> statement-breakpoint
CREATE INDEX "alert_messages_created" ON "herald"."alert_messages" USING btree ("created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "alert_rules_kind_subscription" ON "herald"."alert_rules" USING btree ("kind","subscription");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_firing_once" ON "herald"."alerts" USING btree ("rule_id","subscription") WHERE "herald"."alerts"."state" = 'firing';--> statement-breakpoint
CREATE INDEX "alerts_started" ON "herald"."alerts" USING btree ("started_at");