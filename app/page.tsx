export default function HomePage() {
  return (
    <main className="mx-auto max-w-2xl p-6">
      <h1 className="text-2xl font-semibold">Sluice</h1>
      <p className="mt-2 text-zinc-600 dark:text-zinc-400">A streaming agent chat app.</p>
    </main>
  );
}
