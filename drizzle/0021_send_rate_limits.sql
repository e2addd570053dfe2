CREATE TABLE "herald"."send_rates" (
	"subscription" text PRIMARY KEY NOT NULL,
	"next_slot_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "herald"."subscriptions" ADD COLUMN "rate_per_second" double precision;--> statement-breakpoint
ALTER TABLE "herald"."subscriptions" ADD COLUMN "concurrency_override" integer;--> statement-breakpoint
ALTER TABLE "herald"."subscriptions" ADD COLUMN "rate_override" double precision;--> statement-breakpoint
ALTER TABLE "herald"."subscriptions" ADD COLUMN "tuned_by" text;--> statement-breakpoint
ALTER TABLE "herald"."subscriptions" ADD COLUMN "tuned_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "herald"."send_rates" ADD CONSTRAINT "send_rates_subscription_subscriptions_name_fk" FOREIGN KEY ("subscription") REFERENCES "herald"."subscriptions"("name") ON DELETE cascade ON UPDATE cascade;--> statement-breakpoint
CREATE INDEX "subscriptions_rate_limited" ON "herald"."subscriptions" USING btree ("name") WHERE "herald"."subscriptions"."rate_per_second" IS NOT NULL OR "herald"."subscriptions"."rate_override" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "herald"."circuits" DROP COLUMN "tokens";--> statement-breakpoint
ALTER TABLE "herald"."circuits" DROP COLUMN "tokens_at";--> statement-breakpoint
ALTER TABLE "herald"."subscriptions" ADD CONSTRAINT "subscriptions_tuning_valid" CHECK (("herald"."subscriptions"."rate_per_second" IS NULL OR "herald"."subscriptions"."rate_per_second" > 0) AND ("herald"."subscriptions"."rate_override" IS NULL OR "herald"."subscriptions"."rate_override" >= 0) AND ("herald"."subscriptions"."concurrency_override" IS NULL OR "herald"."subscriptions"."concurrency_override" BETWEEN 1 AND 1000));