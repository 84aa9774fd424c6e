import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessageOf } from '@/lib/chat/error-message';
import { AttachmentSchema, MAX_ATTACHMENTS_PER_PROMPT, type Attachment } from '@/lib/contract';

/** A file on its way to the next prompt: uploading, or uploaded and ready to go with it. */
export type PendingFile = {
  key: string;
  name: string;
  /** A local preview of an image, shown while it uploads and until the prompt is sent. */
  preview: string | null;
} & ({ status: 'uploading' } | { status: 'ready'; attachment: Attachment });

/** A file the server (or the page) would not take, and why. */
export type RefusedFile = { key: string; name: string; message: string };

/** A pasted image has no name of its own worth showing: it gets one a person recognises. */
const nameOf = (file: File) => (file.name && file.name !== 'image.png' ? file.name : `Pasted image.${file.type.split('/')[1] ?? 'png'}`);

/**
 * The files the next prompt takes: each is uploaded as soon as it is attached (to the conversation, made on first
 * need), so Send only names them. Files the server refuses are listed with its reason; nothing typed is touched.
 */
export function useAttachments(ensureConversation: () => Promise<string>) {
  const [files, setFiles] = useState<PendingFile[]>([]);
  const [refused, setRefused] = useState<RefusedFile[]>([]);
  const previews = useRef(new Set<string>());

  useEffect(() => {
    const urls = previews.current;
    return () => urls.forEach((url) => URL.revokeObjectURL(url));
  }, []);

  const dropPreview = (file: PendingFile) => {
    if (!file.preview) return;
    URL.revokeObjectURL(file.preview);
    previews.current.delete(file.preview);
  };

  const uploadOne = useCallback(
    async (file: File, pending: PendingFile) => {
      const refuse = (message: string) => {
        setFiles((current) => current.filter((item) => item.key !== pending.key));
        dropPreview(pending);
        setRefused((current) => [...current, { key: pending.key, name: pending.name, message }]);
      };
      try {
        const conversationId = await ensureConversation();
        const form = new FormData();
        form.append('file', file, pending.name);
        const response = await fetch(`/api/conversations/${conversationId}/attachments`, { method: 'POST', body: form });
        if (response.status !== 201) return refuse(await errorMessageOf(response, `The server answered HTTP ${response.status}.`));
        const attachment = AttachmentSchema.parse(await response.json());
        setFiles((current) => current.map((item) => (item.key === pending.key ? { ...pending, status: 'ready', attachment } : item)));
      } catch {
        refuse('It could not be uploaded: check the connection and attach it again.');
      }
    },
    [ensureConversation],
  );

  const add = useCallback(
    (list: File[]) => {
      setRefused([]);
      const room = MAX_ATTACHMENTS_PER_PROMPT - files.length;
      list.forEach((file, index) => {
        const key = crypto.randomUUID();
        const name = nameOf(file);
        if (index >= room) {
          setRefused((current) => [...current, { key, name, message: `At most ${MAX_ATTACHMENTS_PER_PROMPT} files go with one prompt.` }]);
          return;
        }
        const preview = file.type.startsWith('image/') ? URL.createObjectURL(file) : null;
        if (preview) previews.current.add(preview);
        const pending: PendingFile = { key, name, preview, status: 'uploading' };
        setFiles((current) => [...current, pending]);
        void uploadOne(file, pending);
      });
    },
    [files.length, uploadOne],
  );

  const remove = useCallback((key: string) => {
    setFiles((current) => {
      const gone = current.find((item) => item.key === key);
      if (gone) dropPreview(gone);
      return current.filter((item) => item.key !== key);
    });
  }, []);

  /** The files to send now; the list empties (and comes back with `restore` if the prompt is refused). */
  const take = useCallback((): { attachments: Attachment[]; taken: PendingFile[] } => {
    const taken = files;
    setFiles([]);
    setRefused([]);
    return { attachments: taken.flatMap((file) => (file.status === 'ready' ? [file.attachment] : [])), taken };
  }, [files]);

  const restore = useCallback((taken: PendingFile[]) => setFiles(taken), []);

  return {
    files,
    refused,
    uploading: files.some((file) => file.status === 'uploading'),
    add,
    remove,
    take,
    restore,
    dismissRefused: useCallback(() => setRefused([]), []),
  };
}
