import type { ReactNode } from "react";
import "./globals.css";

export const metadata = { title: "Gatehouse", description: "Identity-aware gateway between AI agents and production databases" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen bg-slate-50 font-sans text-slate-900 antialiased">
        <header className="border-b border-slate-200 bg-white">
          <div className="mx-auto flex max-w-6xl items-baseline gap-3 px-6 py-3.5">
            <span className="text-base font-semibold text-brand">Gatehouse</span>
            <span className="text-sm text-slate-500">console preview</span>
          </div>
        </header>
        <main className="mx-auto max-w-6xl px-6 py-6">{children}</main>
      </body>
    </html>
  );
}
