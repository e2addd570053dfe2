import { PageSkeleton } from '@/app/_components/ui/empty-state';

/**
 * While the page renders on the server: its shape in grey. Only on leaf pages every role may
 * open: a loading boundary streams a 200 first, so a page that can answer 403 or 404 has none.
 */
export default function Loading() {
  return <PageSkeleton />;
}
