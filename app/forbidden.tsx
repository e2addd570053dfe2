import Link from 'next/link';

/** Rendered with status 403 when a signed-in person opens a page their role does not allow. */
export default function Forbidden() {
  return (
    <div className="max-w-lg">
      <h1 className="mb-2 text-xl font-semibold tracking-tight">Not allowed</h1>
      <p className="text-sm text-zinc-600 dark:text-zinc-400">
        Your role does not give access to this page. Ask an admin if you need it.{' '}
        <Link className="underline" href="/">
          Back to the overview
        </Link>
      </p>
    </div>
  );
}
