CREATE TABLE "herald"."api_keys" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "herald"."api_keys_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"prefix" text NOT NULL,
	"secret_hash" text NOT NULL,
	"scopes" text[] NOT NULL,
	"publish_channels" text[] DEFAULT '{}'::text[] NOT NULL,
	"rate_limit_per_minute" integer DEFAULT 6000 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	CONSTRAINT "api_keys_name_format" CHECK (length("herald"."api_keys"."name") BETWEEN 1 AND 100),
	CONSTRAINT "api_keys_scopes_valid" CHECK ("herald"."api_keys"."scopes" <@ ARRAY['publish','read','operate']::text[]),
	CONSTRAINT "api_keys_rate_limit_positive" CHECK ("herald"."api_keys"."rate_limit_per_minute" BETWEEN 1 AND 1000000)
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_name" ON "herald"."api_keys" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_prefix" ON "herald"."api_keys" USING btree ("prefix");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_secret_hash" ON "herald"."api_keys" USING btree ("secret_hash");